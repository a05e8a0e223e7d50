from django.test import Client


def client_for(world, name, language="en") -> Client:
    """A web client signed in as one of `world`'s users, asking for pages in `language`."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.users[name])
    return client
