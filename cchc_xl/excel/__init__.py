"""Excel front: ribbon, VBA project, xlwings adapter, entry points and UDFs.

Importing this package must not import xlwings; the modules that need it import it themselves.
"""
