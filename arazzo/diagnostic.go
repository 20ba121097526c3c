package arazzo

import (
	"fmt"
	"strings"
)

// Severity says how bad a diagnostic is.
type Severity int

// Severities, most severe first.
const (
	SeverityError Severity = iota
	SeverityWarning
	SeverityInfo
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	default:
		return "info"
	}
}

// Diagnostic is one finding about a document: where it is, how bad, which
// rule found it, and what to do about it.
type Diagnostic struct {
	Severity Severity
	// Rule is a stable identifier such as "step-id-unique"; tools and CI
	// filters key on it, so it never changes once published.
	Rule    string
	Message string
	// Hint is an optional suggestion of how to fix the problem.
	Hint string
	// File is the document's location (path or URL).
	File string
	Pos
	// Path is a JSON Pointer to the offending value inside the document
	// ("/workflows/0/steps/2/operationId"); empty for whole-file findings.
	Path string
}

// String formats d as `FILE:LINE:COL: severity: message [rule]`.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Column)
	}
	fmt.Fprintf(&b, ": %s: %s", d.Severity, d.Message)
	if d.Rule != "" {
		fmt.Fprintf(&b, " [%s]", d.Rule)
	}
	return b.String()
}

// Diagnostics is a list of findings.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the error diagnostics.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// Error makes Diagnostics usable as an error: the first error, plus a count
// of the others.
func (ds Diagnostics) Error() string {
	errs := ds.Errors()
	switch len(errs) {
	case 0:
		return "no errors"
	case 1:
		return errs[0].String()
	default:
		return fmt.Sprintf("%s (and %d more errors)", errs[0], len(errs)-1)
	}
}
