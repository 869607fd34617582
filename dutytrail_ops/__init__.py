"""Operations: everything that runs the services rather than being one.

The ``dutytrail`` command line (``cli``), the process supervisor behind ``dutytrail up``
(``supervisor``), the checks made before starting anything (``preflight``), the runner of one
service's nameko container or relay (``runner``), the discovery of the services from their
declarations (``registry``) and the district demo (``demo``). Nothing here keeps a list of
services: each one is found through the ``DECLARATION`` in its package (docs/operations.md).
``shared`` never imports this package.
"""
