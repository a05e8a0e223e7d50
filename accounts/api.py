from django.contrib.auth import authenticate, user_logged_in
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

from .lockout import LockedOut
from .serializers import LoginSerializer, MeSerializer, TokenSerializer


class TokenLoginView(APIView):
    """Exchange a username and password for an API token."""

    # Failures count towards the sign-in lockout (accounts/lockout.py) like the web sign-in's; a
    # locked account or address answers 429 `locked_out`, even with the right password.

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
        if getattr(request, "axes_locked_out", False):
            raise LockedOut()
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("The username or password is wrong."))
        token, _created = Token.objects.get_or_create(user=user)
        # A sign-in like the web's: records it and clears this account's failures from this address.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
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
