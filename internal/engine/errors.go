package engine

import "errors"

// Unwrap strips the Docker client's "Error response from daemon: " wrapping
// from an engine error, keeping its kind: the message is then the engine's
// own words, as an engine's client would show them.
func Unwrap(err error) error {
	if err == nil {
		return nil
	}
	innermost := err
	for next := errors.Unwrap(innermost); next != nil; next = errors.Unwrap(innermost) {
		innermost = next
	}
	if innermost == err {
		return err
	}
	return &engineError{msg: innermost.Error(), kind: err}
}

type engineError struct {
	msg  string
	kind error
}

func (e *engineError) Error() string { return e.msg }

// Is keeps the kind (errdefs) of the original error.
func (e *engineError) Is(target error) bool { return errors.Is(e.kind, target) }
