from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files outside MEDIA_ROOT with no URL: only a permission-checked view can read them."""

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a checked view.")


def private_storage():
    return PrivateStorage(location=settings.PRIVATE_MEDIA_ROOT)
