package expression

import (
	"encoding/json"
	"reflect"
	"sort"
	"sync/atomic"
	"unicode/utf8"
)

// This file evaluates the AST of jsonpath_parse.go with the semantics of
// RFC 9535 section 2: node lists in document order (array elements in
// order, a node before its descendants), comparisons of section 2.3.5.2.2,
// the special result Nothing, and the five standard functions.
//
// Values are generic JSON as encoding/json or oj decode it: map[string]any,
// []any, string, bool, nil and any Go number type (json.Number included).
// Other maps, slices and structs are converted through encoding/json when
// a query steps into them. Object members are visited in key order, so
// that results do not depend on Go's map iteration order.

// jpEnv holds what an evaluation needs besides the current node: the root
// node that "$" names.
type jpEnv struct{ root any }

// segments appends to out the nodes that segs select from v.
func (e *jpEnv) segments(segs []jpSegment, v any, out []any) []any {
	if len(segs) == 0 {
		return append(out, v)
	}
	seg := &segs[0]
	if seg.descendant {
		return e.descend(seg, segs[1:], v, out)
	}
	for i := range seg.selectors {
		out = e.apply(&seg.selectors[i], segs[1:], v, out)
	}
	return out
}

// descend applies a descendant segment: its selectors to v, then to each
// descendant of v, parents before children (RFC 9535 section 2.5.2.2).
func (e *jpEnv) descend(seg *jpSegment, rest []jpSegment, v any, out []any) []any {
	for i := range seg.selectors {
		out = e.apply(&seg.selectors[i], rest, v, out)
	}
	if a, ok := asArray(v); ok {
		for _, c := range a {
			out = e.descend(seg, rest, c, out)
		}
	} else if m, ok := asObject(v); ok {
		for _, k := range sortedKeys(m) {
			out = e.descend(seg, rest, m[k], out)
		}
	}
	return out
}

// apply applies one selector to v and the remaining segments to each node
// it selects.
func (e *jpEnv) apply(sel *jpSelector, rest []jpSegment, v any, out []any) []any {
	switch sel.kind {
	case jpName:
		if m, ok := asObject(v); ok {
			if c, ok := m[sel.name]; ok {
				out = e.segments(rest, c, out)
			}
		}
	case jpIndex:
		if a, ok := asArray(v); ok {
			if i, ok := jpArrayIndex(sel.start, len(a)); ok {
				out = e.segments(rest, a[i], out)
			}
		}
	case jpWildcard, jpFilter:
		if a, ok := asArray(v); ok {
			for _, c := range a {
				if sel.kind == jpWildcard || sel.filter.test(e, c) {
					out = e.segments(rest, c, out)
				}
			}
		} else if m, ok := asObject(v); ok {
			for _, k := range sortedKeys(m) {
				c := m[k]
				if sel.kind == jpWildcard || sel.filter.test(e, c) {
					out = e.segments(rest, c, out)
				}
			}
		}
	case jpSlice:
		if a, ok := asArray(v); ok {
			lower, upper, step := sliceBounds(sel, int64(len(a)))
			if step > 0 {
				for i := lower; i < upper; i += step {
					out = e.segments(rest, a[i], out)
				}
			} else if step < 0 {
				for i := upper; lower < i; i += step {
					out = e.segments(rest, a[i], out)
				}
			}
		}
	}
	return out
}

// jpArrayIndex resolves an index selector (negative counts from the end).
func jpArrayIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// sliceBounds computes the bounds of RFC 9535 section 2.3.4.2.2: with a
// positive step the indexes lower ≤ i < upper, with a negative step
// upper ≥ i > lower; a zero step selects nothing.
func sliceBounds(sel *jpSelector, n int64) (lower, upper, step int64) {
	step = sel.step
	norm := func(i int64) int64 {
		if i < 0 {
			return n + i
		}
		return i
	}
	clamp := func(i, lo, hi int64) int64 { return min(max(i, lo), hi) }
	switch {
	case step > 0:
		start, end := int64(0), n
		if sel.hasStart {
			start = norm(sel.start)
		}
		if sel.hasEnd {
			end = norm(sel.end)
		}
		return clamp(start, 0, n), clamp(end, 0, n), step
	case step < 0:
		start, end := n-1, -n-1
		if sel.hasStart {
			start = norm(sel.start)
		}
		if sel.hasEnd {
			end = norm(sel.end)
		}
		return clamp(end, -1, n-1), clamp(start, -1, n-1), step
	}
	return 0, 0, 0
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// asArray and asObject return v as a JSON array or object. Go values that
// are neither generic JSON nor scalars are converted through
// encoding/json first.
func asArray(v any) ([]any, bool) {
	if a, ok := v.([]any); ok {
		return a, true
	}
	a, ok := normJSON(v).([]any)
	return a, ok
}

func asObject(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	m, ok := normJSON(v).(map[string]any)
	return m, ok
}

// normJSON converts a Go map, slice, array, struct or pointer that is not
// generic JSON into generic JSON; other values are returned unchanged.
func normJSON(v any) any {
	switch v.(type) {
	case nil, string, bool, map[string]any, []any, json.Number,
		float64, float32, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8:
		return v
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct, reflect.Pointer:
		b, err := json.Marshal(v)
		if err != nil {
			return v
		}
		var out any
		if json.Unmarshal(b, &out) != nil {
			return v
		}
		return out
	}
	return v
}

// Logical expressions.

func (x jpOr) test(e *jpEnv, cur any) bool {
	for _, t := range x {
		if t.test(e, cur) {
			return true
		}
	}
	return false
}

func (x jpAnd) test(e *jpEnv, cur any) bool {
	for _, t := range x {
		if !t.test(e, cur) {
			return false
		}
	}
	return true
}

func (x jpNot) test(e *jpEnv, cur any) bool { return !x.x.test(e, cur) }

func (x jpExists) test(e *jpEnv, cur any) bool {
	if x.q.singular {
		_, ok := x.q.value(e, cur)
		return ok
	}
	return len(x.q.nodes(e, cur)) > 0
}

func (x jpFuncTest) test(e *jpEnv, cur any) bool { return x.f.logical(e, cur) }

func (c *jpCompare) test(e *jpEnv, cur any) bool {
	a, aok := c.l.value(e, cur)
	b, bok := c.r.value(e, cur)
	switch c.op {
	case "==":
		return jpEqual(a, aok, b, bok)
	case "!=":
		return !jpEqual(a, aok, b, bok)
	case "<":
		return jpLess(a, aok, b, bok)
	case "<=":
		return jpLess(a, aok, b, bok) || jpEqual(a, aok, b, bok)
	case ">":
		return jpLess(b, bok, a, aok)
	case ">=":
		return jpLess(b, bok, a, aok) || jpEqual(a, aok, b, bok)
	}
	return false
}

// jpEqual is "==" of RFC 9535 section 2.3.5.2.2: Nothing equals only
// Nothing; otherwise JSON equality (numbers by value, arrays and objects
// member by member).
func jpEqual(a any, aok bool, b any, bok bool) bool {
	if !aok || !bok {
		return aok == bok
	}
	return jsonEqual(a, b)
}

func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any:
		y, ok := asArray(b)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := asObject(b)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	if c, ok := compareNumbers(a, b); ok {
		return c == 0
	}
	if n := normJSON(a); !sameType(n, a) {
		return jsonEqual(n, b)
	}
	return false
}

func sameType(a, b any) bool { return reflect.TypeOf(a) == reflect.TypeOf(b) }

// jpLess is "<": numbers by value, strings by Unicode scalar values (the
// byte order of UTF-8), anything else false.
func jpLess(a any, aok bool, b any, bok bool) bool {
	if !aok || !bok {
		return false
	}
	if x, ok := a.(string); ok {
		y, ok := b.(string)
		return ok && x < y
	}
	c, ok := compareNumbers(a, b)
	return ok && c < 0
}

// compareNumbers compares two JSON numbers exactly when both are integers,
// otherwise as float64.
func compareNumbers(a, b any) (int, bool) {
	if x, ok := toInt(a); ok {
		if y, ok := toInt(b); ok {
			return cmpOrdered(x, y), true
		}
	}
	x, ok := toFloat(a)
	if !ok {
		return 0, false
	}
	y, ok := toFloat(b)
	if !ok {
		return 0, false
	}
	return cmpOrdered(x, y), true
}

func cmpOrdered[T int64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// Values.

func (l *jpLiteral) value(*jpEnv, any) (any, bool) { return l.v, true }

// value is the value of a singular query's node, or Nothing.
func (q *jpQuery) value(e *jpEnv, cur any) (any, bool) {
	v := cur
	if !q.relative {
		v = e.root
	}
	for i := range q.segments {
		sel := &q.segments[i].selectors[0]
		if sel.kind == jpName {
			m, ok := asObject(v)
			if !ok {
				return nil, false
			}
			if v, ok = m[sel.name]; !ok {
				return nil, false
			}
			continue
		}
		a, ok := asArray(v)
		if !ok {
			return nil, false
		}
		j, ok := jpArrayIndex(sel.start, len(a))
		if !ok {
			return nil, false
		}
		v = a[j]
	}
	return v, true
}

// nodes is the node list of a query inside a filter.
func (q *jpQuery) nodes(e *jpEnv, cur any) []any {
	start := cur
	if !q.relative {
		start = e.root
	}
	return e.segments(q.segments, start, nil)
}

// value evaluates a function of ValueType: length(), count() or value().
func (f *jpFunc) value(e *jpEnv, cur any) (any, bool) {
	switch f.name {
	case "length":
		v, ok := f.vals[0].value(e, cur)
		if !ok {
			return nil, false
		}
		switch t := v.(type) {
		case string:
			return int64(utf8.RuneCountInString(t)), true
		case []any:
			return int64(len(t)), true
		case map[string]any:
			return int64(len(t)), true
		}
		if a, ok := asArray(v); ok {
			return int64(len(a)), true
		}
		if m, ok := asObject(v); ok {
			return int64(len(m)), true
		}
		return nil, false
	case "count":
		return int64(len(f.nodes[0].nodes(e, cur))), true
	case "value":
		if n := f.nodes[0].nodes(e, cur); len(n) == 1 {
			return n[0], true
		}
	}
	return nil, false
}

// dynamicRegexp caches the last pattern that match() or search() read from
// the document, so a filter over many nodes compiles it once.
type dynamicRegexp struct {
	pattern string
	full    bool
	re      *iregexp
}

// lastRegexp is shared by every jpFunc; its cost is one comparison.
var lastRegexp atomic.Pointer[dynamicRegexp]

// logical evaluates match() or search(): false unless the first argument
// is a string and the second a valid I-Regexp that matches it.
func (f *jpFunc) logical(e *jpEnv, cur any) bool {
	v, ok := f.vals[0].value(e, cur)
	s, isString := v.(string)
	if !ok || !isString {
		return false
	}
	re := f.re
	if re == nil {
		p, ok := f.vals[1].value(e, cur)
		pattern, isString := p.(string)
		if !ok || !isString {
			return false
		}
		full := f.name == "match"
		if last := lastRegexp.Load(); last != nil && last.pattern == pattern && last.full == full {
			re = last.re
		} else {
			re = compileIRegexp(pattern, full)
			lastRegexp.Store(&dynamicRegexp{pattern: pattern, full: full, re: re})
		}
	}
	return re.matches(s)
}
