"""``liushou compare``: the change register of two survey rounds (动态管理).

:mod:`.compare` matches the rounds person by person; :mod:`.reasons` says why people entered or left,
:mod:`.stayed` what changed for those in both; :mod:`.changes` holds the register's vocabulary, schemas and
summary; :mod:`.tables` the tables for people; :mod:`.files` its files; :mod:`.command` the command.
"""
