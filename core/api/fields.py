from rest_framework import serializers


class VisiblePrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A reference looked up among the rows the requesting user may see (`visible(user)`, a
    selector): a hidden row is answered exactly as a missing one, so a write that names an id
    is no existence oracle. `queryset` (all rows) is only for the schema."""

    def __init__(self, *, visible, **kwargs):
        self.visible = visible
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:  # schema generation
            return super().get_queryset()
        return self.visible(request.user)
