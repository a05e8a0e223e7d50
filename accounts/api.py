from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.throttling import AuthRateThrottle

from .serializers import LoginSerializer, MeSerializer, TokenSerializer


class TokenLoginView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    # Token authentication only so that a failed login answers 401 with a WWW-Authenticate header.
    authentication_classes = [TokenAuthentication]
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        summary="Get an API token", tags=["auth"], request=LoginSerializer, responses={200: TokenSerializer}, auth=[]
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request, **serializer.validated_data)
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("The username or password is wrong."))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class TokenLogoutView(APIView):
    @extend_schema(summary="Revoke your API token", tags=["auth"], request=None, responses={204: None})
    def post(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(summary="Who am I", tags=["auth"], responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)
