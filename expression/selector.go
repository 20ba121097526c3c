package expression

import (
	"fmt"
	"strings"
)

// CompileSelector parses spec once.
//
// In lenient mode a missing type is inferred from the selector: "$…" is
// JSONPath, "/…" (or "#/…") is a JSON Pointer.
func CompileSelector(spec SelectorSpec, opts Options) (*Selector, []Warning, error) {
	s := &Selector{spec: spec, kind: spec.Type}
	e, warns, err := Parse(spec.Context, opts)
	warns = prefix("context", warns)
	if err != nil {
		return nil, warns, fmt.Errorf("selector context %q: %w", spec.Context, err)
	}
	s.context = e
	if s.kind == "" {
		if opts.Strict {
			return nil, warns, fmt.Errorf("a selector needs a type: jsonpath, xpath or jsonpointer")
		}
		switch {
		case strings.HasPrefix(spec.Selector, "$"):
			s.kind = TypeJSONPath
		case strings.HasPrefix(spec.Selector, "/") || strings.HasPrefix(spec.Selector, "#"):
			s.kind = TypeJSONPointer
		default:
			return nil, warns, fmt.Errorf("a selector needs a type: jsonpath, xpath or jsonpointer")
		}
		warns = append(warns, Warning{Column: 1, Code: "missing-type",
			Message: "the selector has no type; read " + quote(spec.Selector) + " as " + s.kind})
	}
	switch s.kind {
	case TypeJSONPointer:
		if spec.Version != "" && spec.Version != "rfc6901" {
			return nil, warns, fmt.Errorf("unknown jsonpointer version %q; use rfc6901", spec.Version)
		}
		toks, err := ParsePointer(spec.Selector)
		if err != nil {
			return nil, warns, fmt.Errorf("selector: %w", err)
		}
		s.ptr = &Expr{Pointer: toks, idx: indexes(toks), Text: spec.Selector}
	case TypeJSONPath:
		if spec.Version != "" && spec.Version != JSONPathRFC9535 && spec.Version != JSONPathGoessner {
			return nil, warns, fmt.Errorf("unknown jsonpath version %q; use %s or %s", spec.Version, JSONPathRFC9535, JSONPathGoessner)
		}
		q, w, err := parseJSONPath(spec.Selector, spec.Version, opts, false)
		warns = append(warns, w...)
		if err != nil {
			return nil, warns, fmt.Errorf("selector: %w", err)
		}
		s.path = q
	case TypeXPath:
		if !xpathVersions[spec.Version] {
			return nil, warns, fmt.Errorf("unknown xpath version %q; use xpath-10, xpath-20, xpath-30 or xpath-31", spec.Version)
		}
		if _, err := compileXPath(spec.Selector); err != nil {
			return nil, warns, fmt.Errorf("selector: %w", err)
		}
		s.xpath = spec.Selector
	default:
		return nil, warns, fmt.Errorf("unknown selector type %q; use jsonpath, xpath or jsonpointer", s.kind)
	}
	return s, warns, nil
}

// Eval returns the selected value: for JSONPath a single node's value when
// exactly one node matched, else the list of values; for XPath the string
// value (or list of strings); for JSON Pointer the value at the pointer.
//
// A missing or null context and a JSON Pointer that names nothing are
// errors (RFC 6901 calls the latter an error condition); a JSONPath or
// XPath that selects nothing yields an empty list.
func (s *Selector) Eval(ctx Context) (any, error) {
	if ctx == nil {
		ctx = emptyContext{}
	}
	v, ok := s.context.Eval(ctx)
	if !ok || v == nil {
		state := "missing"
		if ok {
			state = "null"
		}
		return nil, fmt.Errorf("selector context %s is %s", s.context.Text, state)
	}
	switch s.kind {
	case TypeJSONPointer:
		if len(s.ptr.Pointer) == 0 {
			return v, nil
		}
		data, ok := decodeJSONAny(v)
		if !ok {
			return nil, fmt.Errorf("selector context %s is not JSON, so the JSON Pointer %s cannot be applied", s.context.Text, s.spec.Selector)
		}
		x, ok := walk(data, s.ptr.Pointer, s.ptr.idx)
		if !ok {
			return nil, fmt.Errorf("JSON Pointer %s names nothing in %s", s.spec.Selector, s.context.Text)
		}
		return x, nil
	case TypeJSONPath:
		data, ok := decodeJSONAny(v)
		if !ok {
			return nil, fmt.Errorf("selector context %s is not JSON, so the JSONPath %s cannot be applied", s.context.Text, s.spec.Selector)
		}
		nodes, err := s.path.get(data)
		if err != nil {
			return nil, err
		}
		if len(nodes) == 1 {
			return nodes[0], nil
		}
		if nodes == nil {
			nodes = []any{}
		}
		return nodes, nil
	default:
		doc, err := xmlDocument(v)
		if err != nil {
			return nil, fmt.Errorf("selector context %s: %w", s.context.Text, err)
		}
		r, err := evalXPath(s.xpath, doc)
		if err != nil {
			return nil, err
		}
		if !r.isSet {
			return r.v, nil
		}
		if len(r.nodes) == 1 {
			return r.nodes[0], nil
		}
		list := make([]any, len(r.nodes))
		for i, n := range r.nodes {
			list[i] = n
		}
		return list, nil
	}
}

// Exprs returns the runtime expressions s reads: its context.
func (s *Selector) Exprs() []*Expr { return []*Expr{s.context} }
