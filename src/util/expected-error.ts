// An expected failure — of the machine, the environment, a file, the user's server — whose
// message already says what went wrong, why and what to do. The CLI prints it as one line and
// exits 1; a stack is for bugs (errors of twstorm's own making stay plain Errors, and show one).
export class ExpectedError extends Error {}
