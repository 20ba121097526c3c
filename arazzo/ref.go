package arazzo

import (
	"strconv"
	"strings"
)

// maxRefDepth bounds chains of local references ($ref to a $ref …), so
// that a cycle ends.
const maxRefDepth = 32

// ResolveLocalRef follows local `$ref: '#/…'` references in a parsed
// document tree (Document.Raw), as found in inputs schemas and reusable
// components: while v is an object whose $ref is a local JSON Pointer, it
// is replaced by the value the pointer names. It returns the final value
// and the pointer it was found at (ptr when v is not a reference). ok is
// false when a reference does not resolve or the chain is too long; the
// value returned then is the last one reached.
func ResolveLocalRef(doc, v any, ptr string) (_ any, _ string, ok bool) {
	for depth := 0; depth <= maxRefDepth; depth++ {
		m, isMap := v.(map[string]any)
		if !isMap {
			return v, ptr, true
		}
		ref, isRef := m["$ref"].(string)
		if !isRef || !strings.HasPrefix(ref, "#") {
			return v, ptr, true
		}
		target, found := pointerLookup(doc, strings.TrimPrefix(ref, "#"))
		if !found {
			return v, ptr, false
		}
		v, ptr = target, strings.TrimPrefix(ref, "#")
	}
	return v, ptr, false
}

// pointerLookup returns the value at an RFC 6901 pointer in a tree of
// maps and slices.
func pointerLookup(doc any, ptr string) (any, bool) {
	if ptr == "" {
		return doc, true
	}
	if ptr[0] != '/' {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
