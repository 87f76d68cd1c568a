"""metaopt_instructor — the instructor's tools (floor 3 of 3), on top of ``metaopt_course`` and ``metaopt_lib``.

``metaopt`` (``command``: the student's commands plus ``grade``, ``student-dist``, ``demo``); ``metaopt grade
release|collect|autograde|feedback|export`` (``cli``). The grading pipeline: ``config`` (the course's nbgrader
settings, runtime state in ``var/``) → ``release`` → ``collect`` → ``grade`` (prepare with tamper detection,
sandboxed execution in ``sandbox``/``executor``, outside verification in ``verify``, one gradebook writer; at scale
``cluster``, ``database``, ``progress``) → ``report`` (feedback, grade table). ``dist`` builds the student
distribution (its own files in ``student_dist/``); ``demo`` grades the sample class (``sample_class/``, made by
``sample_class/make.py`` with the submission kinds of ``samples``); ``toycourse`` and ``inprocess`` serve tests and
benchmarks.
"""
