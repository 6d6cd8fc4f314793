"""Errors raised by services. Views show them as messages; the API maps them to 409."""


class WorkflowError(Exception):
    """A state change that is not allowed now (wrong status, expired link…).

    The message is a translatable sentence meant for the person who asked.
    """

    def __init__(self, message: str, *, code: str = "workflow"):
        super().__init__(message)
        self.message = message
        self.code = code
