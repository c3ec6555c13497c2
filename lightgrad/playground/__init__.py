"""The lightgrad playground: build, train and watch a small network learn, in a local web page.

``lightgrad playground`` starts the server (:mod:`lightgrad.playground.server`, which needs the
``playground`` extra: ``pip install 'lightgrad[playground]'``). Training runs here in lightgrad
(:mod:`.session`); the settings are validated by :mod:`.settings`; :mod:`.export` writes a
script that reproduces a setup.
"""

from .export import export_filename, export_script
from .session import TrainingSession
from .settings import Settings, SettingsError, parse_settings

__all__ = ["Settings", "SettingsError", "TrainingSession", "export_filename", "export_script",
           "parse_settings"]
