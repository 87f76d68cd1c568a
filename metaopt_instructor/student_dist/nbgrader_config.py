# nbgrader configuration of the student's JupyterLab
# (make lab sets JUPYTER_CONFIG_DIR to this folder).
# Only the Validate button uses it; grading runs on the instructor's side with the instructor's configuration.
c = get_config()  # noqa: F821
# nbgrader cannot check a written (Markdown) answer; with validate_all, a code cell that writes to stderr fails
# Validate — the self-check cell writes there the written answers that still read YOUR ANSWER HERE.
c.Validator.validate_all = True
