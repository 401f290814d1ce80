"""The declarations: every shape and preset, each written once.

The registry collects every module of this package: the spike functions it
declares at module level and the rows of its ``PRESETS`` table.
"""
