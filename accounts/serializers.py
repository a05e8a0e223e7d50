from rest_framework import serializers

from .models import User


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    institution = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    enterprise = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    agency = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True)  # may be empty, so not an "email" format

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "institution",
            "enterprise",
            "agency",
            "language",
        ]
        read_only_fields = fields
