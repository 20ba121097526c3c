package expression

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Comparison rules of simple conditions (Criterion Object, "Condition
// Evaluation"): strings compare case-insensitively, numeric strings coerce
// to numbers against numbers, null equals only null, and relational
// operators are false when either side is null or the types do not order.

// missing marks an operand that named nothing; it compares as null.
type missing struct{}

// equal implements ==.
func equal(a, b any) bool {
	a, b = unmissing(a), unmissing(b)
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := toFloat(a); ok {
		if y, ok := toFloat(b); ok {
			return numbersEqual(a, b, x, y)
		}
		if s, ok := toStr(b); ok {
			y, ok := numericString(s)
			return ok && x == y
		}
		return false
	}
	if s, ok := toStr(a); ok {
		if t, ok := toStr(b); ok {
			return strings.EqualFold(s, t)
		}
		if y, ok := toFloat(b); ok {
			x, ok := numericString(s)
			return ok && x == y
		}
		return false
	}
	if x, ok := a.(bool); ok {
		y, ok := b.(bool)
		return ok && x == y
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func numbersEqual(a, b any, x, y float64) bool {
	if i, ok := toInt(a); ok {
		if j, ok := toInt(b); ok {
			return i == j // exact for integers beyond 2^53
		}
	}
	return x == y
}

// order compares a and b for < <= > >=; ok is false when they do not
// order (null, missing, booleans, containers, a number against a
// non-numeric string).
func order(a, b any) (c int, ok bool) {
	a, b = unmissing(a), unmissing(b)
	if a == nil || b == nil {
		return 0, false
	}
	x, xNum := toFloat(a)
	y, yNum := toFloat(b)
	s, xStr := toStr(a)
	t, yStr := toStr(b)
	if xStr {
		x, xNum = numericString(s)
	}
	if yStr {
		y, yNum = numericString(t)
	}
	switch {
	case xNum && yNum:
		if i, ok := toInt(a); ok {
			if j, ok := toInt(b); ok {
				return cmpInt(i, j), true
			}
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case xStr && yStr:
		return foldCompare(s, t), true
	}
	return 0, false
}

func cmpInt(i, j int64) int {
	switch {
	case i < j:
		return -1
	case i > j:
		return 1
	}
	return 0
}

// foldCompare orders two strings ignoring case, without allocating.
func foldCompare(s, t string) int {
	for s != "" && t != "" {
		r, n := utf8.DecodeRuneInString(s)
		q, m := utf8.DecodeRuneInString(t)
		r, q = unicode.ToLower(r), unicode.ToLower(q)
		if r != q {
			if r < q {
				return -1
			}
			return 1
		}
		s, t = s[n:], t[m:]
	}
	return cmpInt(int64(len(s)), int64(len(t)))
}

// truthy is the verdict of a value used as a whole condition or under '!':
// false, null, missing, 0, NaN and "" are false; everything else is true.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil, missing:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case []byte:
		return len(t) != 0
	}
	if f, ok := toFloat(v); ok {
		return f != 0 && !math.IsNaN(f)
	}
	return true
}

func unmissing(v any) any {
	if _, ok := v.(missing); ok {
		return nil
	}
	return v
}

func toStr(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case []byte:
		return string(t), true
	}
	return "", false
}

// toFloat converts any Go number to float64.
func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int32:
		return float64(t), true
	case int16:
		return float64(t), true
	case int8:
		return float64(t), true
	case uint:
		return float64(t), true
	case uint64:
		return float64(t), true
	case uint32:
		return float64(t), true
	case uint16:
		return float64(t), true
	case uint8:
		return float64(t), true
	case float32:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

// toInt converts Go integers (and integral json.Numbers) to int64.
func toInt(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case int:
		return int64(t), true
	case int32:
		return int64(t), true
	case int16:
		return int64(t), true
	case int8:
		return int64(t), true
	case uint32:
		return int64(t), true
	case uint16:
		return int64(t), true
	case uint8:
		return int64(t), true
	case uint:
		if uint64(t) <= math.MaxInt64 {
			return int64(t), true
		}
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t), true
		}
	case json.Number:
		n, err := t.Int64()
		return n, err == nil
	}
	return 0, false
}

// numericString reports whether s is a JSON number ("42", "-3.5", "1e3")
// and its value. Go's wider syntax ("Inf", "0x1p3", "1_000") is not numeric.
func numericString(s string) (float64, bool) {
	if !isJSONNumber(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}
