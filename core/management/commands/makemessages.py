from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """Django's makemessages, also extracting core.notify.ngettext_noop's plural pairs (stored
    notifications are translated when read, so their plural sources are marked, not translated)."""

    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=ngettext_noop:1,2"]
