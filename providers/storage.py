import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files outside MEDIA_ROOT with no URL: only a permission-checked view can read them.

    Files are written 0600 and the folders it makes 0700 (R-SEC-6): only the app's own user
    reads them, whatever the umask or FILE_UPLOAD_PERMISSIONS say.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    # PRIVATE_MEDIA_ROOT is read on each use, not once when the models load, so a changed
    # setting (tests, a shell) takes effect.
    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a checked view.")


def private_storage():
    return PrivateStorage()
