package expression

import (
	"reflect"
	"strings"

	"github.com/ohler55/ojg/oj"
)

// JSON Pointer (RFC 6901): tokens are decoded when an expression is parsed,
// and array indexes are computed then too, so evaluation only walks maps and
// slices.

// ParsePointer decodes an RFC 6901 JSON Pointer ("/a/0/b~1c") into its
// reference tokens. The empty string is the whole document. A leading '#'
// (the URI fragment form) is accepted.
func ParsePointer(s string) ([]string, error) {
	in := s
	s = strings.TrimPrefix(s, "#")
	if s == "" {
		return []string{}, nil
	}
	if s[0] != '/' {
		return nil, &SyntaxError{Input: in, Column: 1, Msg: "a JSON Pointer starts with '/' (for example /data/0/id)"}
	}
	toks := strings.Split(s[1:], "/")
	for i, t := range toks {
		if !strings.Contains(t, "~") {
			continue
		}
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 >= len(t) || (t[j+1] != '0' && t[j+1] != '1')) {
				return nil, &SyntaxError{Input: in, Column: column(in, strings.Index(in, t)+j), Msg: "invalid escape in JSON Pointer: write ~0 for '~' and ~1 for '/'"}
			}
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// formatPointer encodes tokens back to RFC 6901 text.
func formatPointer(toks []string) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteByte('/')
		if strings.ContainsAny(t, "~/") {
			t = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
		}
		b.WriteString(t)
	}
	return b.String()
}

// indexes precomputes the array index of every token: RFC 6901 allows "0"
// or digits without a leading zero; anything else is -1.
func indexes(toks []string) []int {
	if len(toks) == 0 {
		return nil
	}
	idx := make([]int, len(toks))
	for i, t := range toks {
		idx[i] = arrayIndex(t)
	}
	return idx
}

func arrayIndex(t string) int {
	if t == "" || len(t) > 9 || (len(t) > 1 && t[0] == '0') {
		return -1
	}
	n := 0
	for i := 0; i < len(t); i++ {
		if !isDigit(t[i]) {
			return -1
		}
		n = n*10 + int(t[i]-'0')
	}
	return n
}

// Eval returns the value e refers to, applying the JSON Pointer, and whether
// it exists.
func (e *Expr) Eval(ctx Context) (any, bool) {
	if v, ok := e.eval1(ctx); ok || len(e.alts) == 0 {
		return v, ok
	}
	for _, a := range e.alts {
		if v, ok := a.eval1(ctx); ok {
			return v, true
		}
	}
	return nil, false
}

func (e *Expr) eval1(ctx Context) (any, bool) {
	if e == nil || ctx == nil {
		return nil, false
	}
	if len(e.Pointer) > 0 {
		if r, ok := ctx.(PointerResolver); ok {
			if v, found, handled := r.ResolvePointer(e.Ref, e.Pointer); handled {
				return v, found
			}
		}
	}
	v, ok := ctx.Value(e.Ref)
	if !ok || len(e.Pointer) == 0 {
		return v, ok
	}
	return walk(v, e.Pointer, e.idx)
}

// walk applies decoded pointer tokens to v. It does not allocate for the
// generic JSON shapes (map[string]any, []any).
func walk(v any, toks []string, idx []int) (any, bool) {
	for i, t := range toks {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[t]; !ok {
				return nil, false
			}
		case []any:
			n := idx[i]
			if n < 0 || n >= len(c) {
				return nil, false
			}
			v = c[n]
		case []byte, string:
			// A body kept as text (wrong or missing content type) is
			// still JSON often enough to be worth decoding.
			d, ok := decodeJSONText(c)
			if !ok {
				return nil, false
			}
			return walk(d, toks[i:], idx[i:])
		default:
			var ok bool
			if v, ok = walkReflect(v, t, idx[i]); !ok {
				return nil, false
			}
		}
	}
	return v, true
}

// walkReflect handles maps with string keys and slices of other Go types
// that embedders may supply.
func walkReflect(v any, tok string, n int) (any, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		x := rv.MapIndex(reflect.ValueOf(tok).Convert(rv.Type().Key()))
		if !x.IsValid() {
			return nil, false
		}
		return x.Interface(), true
	case reflect.Slice, reflect.Array:
		if n < 0 || n >= rv.Len() {
			return nil, false
		}
		return rv.Index(n).Interface(), true
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, false
		}
		return walkReflect(rv.Elem().Interface(), tok, n)
	}
	return nil, false
}

// decodeJSONText decodes a []byte or string that holds a JSON object or
// array. Scalars stay text: "123" is a string body, not a number.
func decodeJSONText(v any) (any, bool) {
	var s string
	switch t := v.(type) {
	case []byte:
		s = string(t)
	case string:
		s = t
	default:
		return nil, false
	}
	s = strings.TrimSpace(s)
	if s == "" || (s[0] != '{' && s[0] != '[') {
		return nil, false
	}
	d, err := oj.ParseString(s)
	if err != nil {
		return nil, false
	}
	return d, true
}

// decodeJSONAny decodes a []byte or string holding any JSON value; used
// where a context must be structured data (JSONPath, selectors).
func decodeJSONAny(v any) (any, bool) {
	var s string
	switch t := v.(type) {
	case []byte:
		s = string(t)
	case string:
		s = t
	default:
		return v, true
	}
	d, err := oj.ParseString(s)
	if err != nil {
		return nil, false
	}
	return d, true
}
