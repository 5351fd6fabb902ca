"""A workload script's entry point, apart from ``_worker`` so that the imports go one way
(``_entry`` -> ``_common`` -> ``_worker``): a worker child imports only ``_worker``'s few modules,
the parent the comparison machinery."""

import _worker


def script_main(workers: dict, build_parser, run) -> None:
    """With ``--worker``, one measurement (:func:`_worker.main`); otherwise the parent's
    comparison, ``run(args)``, printed as a table."""
    if _worker.is_worker():
        _worker.main(workers)
        return
    import _common as C
    args = build_parser().parse_args()
    C.report(run(args), args)
