"""Stack settings: parse and validate a stack's config once, at the edge."""

from stackconfig.loader import SettingsError, load_settings, parse_settings
from stackconfig.model import StackSettings

__all__ = ["SettingsError", "StackSettings", "load_settings", "parse_settings"]
