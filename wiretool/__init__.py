"""wiretool: a command-line debugger for real-time web protocols.

Kept tiny on purpose: ``wiretool --version`` imports this module and nothing heavy.
"""

__version__ = "0.1.0"
