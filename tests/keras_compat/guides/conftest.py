# The guides are scripts, run by ../test_guides.py in a subprocess: pytest must not import
# them (--doctest-modules imports every .py file it collects, which would run the training).
collect_ignore_glob = ["*.py"]
