package arazzo

import (
	"errors"
	"fmt"
)

// MemberOrder returns the order in which the document wrote the members of
// m, an object of d.Raw (or of a value the model shares with it: parameter
// values, payloads, replacements, components), or nil when m is not one of
// the document's objects. Go maps have no order; the runner uses this to
// send object parameters and bodies in the order the author wrote them.
func (d *Document) MemberOrder(m map[string]any) []string {
	if d == nil {
		return nil
	}
	return d.members.Keys(m)
}

// DecodeValue decodes a JSON or YAML value that is not an Arazzo document
// (an inputs file) into generic values, with the same limits and YAML 1.2
// rules as documents; a duplicate key is an error. memberOrder reports the written member order of its
// objects (see Document.MemberOrder). file names the data in errors.
func DecodeValue(file string, data []byte) (v any, memberOrder func(map[string]any) []string, err error) {
	root, _, members, diags := decodeYAML(file, data)
	var errs []error
	for _, d := range diags {
		if d.Severity == SeverityError {
			errs = append(errs, fmt.Errorf("%s:%d:%d: %s", file, d.Pos.Line, d.Pos.Column, d.Message))
		}
	}
	if root == nil && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: cannot decode the value", file))
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return root.raw, members.Keys, nil
}
