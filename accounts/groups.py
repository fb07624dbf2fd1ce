"""Operator permission groups. Each app lists what its groups may do in its AppConfig
(`staff_permissions = {"support": ["view_ticket", ...]}`), so this layer imports none of them."""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission

from .models import StaffGroup


def sync_staff_groups(**kwargs):
    for group_name in StaffGroup.values:
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = []
        for config in global_apps.get_app_configs():
            for codename in getattr(config, "staff_permissions", {}).get(group_name, []):
                permission = Permission.objects.filter(
                    content_type__app_label=config.label, codename=codename
                ).first()
                if permission is not None:
                    wanted.append(permission)
        group.permissions.add(*wanted)
