"""The instructor's side of the metaopt course: nbgrader-based grading hardened for untrusted student code.

``metaopt grade release|collect|autograde|feedback|export`` (``autograder.cli``); the pipeline is
``release`` → ``collect`` → ``grade`` (prepare, sandboxed execution in ``sandbox``/``executor``, outside
verification in ``verify``, one gradebook writer) → ``report`` (feedback, grade table). ``demo`` grades the sample
class (``sample_class/``, made by ``sample_class/make.py`` with the submission kinds of ``samples``).
"""
