"""Operator commands of ``scoreledger`` beyond serving, one module per group of commands.

:mod:`api.cli` builds the application and registers each module's commands; a new group
(the audit export and verification commands, say) is a module of its own here.
"""
