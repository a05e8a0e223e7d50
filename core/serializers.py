from rest_framework import serializers


class ReferenceSerializer(serializers.Serializer):
    """A row of reference data (technical field, district, transfer mode)."""

    code = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True, help_text="In the request's language")
    name_zh = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)


class CodeRelatedField(serializers.SlugRelatedField):
    """Refers to a reference row by its code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:  # PostgreSQL refuses NUL in a query: no such code
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)
