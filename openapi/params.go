package openapi

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"

	"github.com/go-arazzo/arazzo/internal/keyorder"
)

// Parameter serialization follows the OpenAPI 3 style/explode rules (the
// "Style Examples" table of the Parameter Object). Where OpenAPI leaves a
// case open this package decides:
//
//   - Object members are serialized in sorted key order (generic JSON
//     objects are Go maps, which have no order).
//   - A null value renders as the empty string; an empty array or object
//     with explode is omitted from the query, without explode it is "name=".
//   - Array items and member values that are themselves arrays or objects
//     are JSON-encoded.
//   - deepObject serializes nested objects as name[a][b]=v and arrays in it
//     as repeated name[a]=v pairs.
//   - Characters RFC 3986 does not allow in a query are percent-encoded,
//     delimiters included, as the OpenAPI 3.1.1 and 3.2 tables show them:
//     deepObject brackets are %5B and %5D, the pipeDelimited separator %7C,
//     spaces %20 (never "+"). Commas of form and simple lists stay literal.
//   - A style that does not apply to a location falls back to the
//     location's default (form for query and cookie, simple for path and
//     header).
//   - Cookies: form style percent-encodes values like the query; the 3.2
//     cookie style sends them as they are. Pairs are joined with "; ".

// escape modes for appendEscaped.
type escMode uint8

const (
	escUnreserved escMode = iota // everything but A-Z a-z 0-9 - . _ ~ is percent-encoded
	escReserved                  // allowReserved: RFC 3986 reserved characters stay literal too
	escNone                      // header values: sent as they are
)

const upperhex = "0123456789ABCDEF"

// reservedOK lists the reserved characters allowReserved keeps literal.
// OpenAPI 3.2 spells out that "[", "]", "#", "&" and "+" still need encoding
// in a query.
var reservedOK = [256]bool{':': true, '/': true, '?': true, '@': true, '!': true, '$': true, '\'': true, '(': true, ')': true, '*': true, ',': true, ';': true, '=': true}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// appendEscaped appends s to buf, percent-encoded per mode.
func appendEscaped(buf []byte, s string, mode escMode) []byte {
	if mode == escNone {
		return append(buf, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c):
			buf = append(buf, c)
		case mode == escReserved && reservedOK[c]:
			buf = append(buf, c)
		case mode == escReserved && c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			buf = append(buf, c) // an existing percent-encoded triple passes through
		default:
			buf = append(buf, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return buf
}

// appendScalar appends the text of a primitive value, escaped. Arrays and
// objects nested where a primitive belongs are JSON-encoded.
func appendScalar(buf []byte, v any, mode escMode) []byte {
	switch t := v.(type) {
	case nil:
		return buf
	case string:
		return appendEscaped(buf, t, mode)
	case bool:
		return strconv.AppendBool(buf, t)
	case float64:
		return appendNumber(buf, t)
	case float32:
		return appendNumber(buf, float64(t))
	case int:
		return strconv.AppendInt(buf, int64(t), 10)
	case int64:
		return strconv.AppendInt(buf, t, 10)
	case int32:
		return strconv.AppendInt(buf, int64(t), 10)
	case uint64:
		return strconv.AppendUint(buf, t, 10)
	case json.Number:
		return appendEscaped(buf, string(t), mode)
	case []byte:
		return appendEscaped(buf, string(t), mode)
	case *File:
		if t == nil {
			return buf
		}
		return appendEscaped(buf, string(t.Data), mode)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(buf, rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(buf, rv.Uint(), 10)
	case reflect.String:
		return appendEscaped(buf, rv.String(), mode)
	case reflect.Float32, reflect.Float64:
		return appendNumber(buf, rv.Float())
	case reflect.Bool:
		return strconv.AppendBool(buf, rv.Bool())
	}
	var tmp []byte
	tmp, err := appendJSON(tmp, v, 0, nil)
	if err != nil {
		tmp = fmt.Appendf(tmp[:0], "%v", v)
	}
	return appendEscaped(buf, string(tmp), mode)
}

// appendNumber renders a number without a trailing ".0" or exponent when
// integral, so 100.0 becomes "100".
func appendNumber(buf []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.AppendFloat(buf, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}

// shape classifies v for serialization.
type shape uint8

const (
	shapeScalar shape = iota
	shapeArray
	shapeObject
)

// kv is one object member.
type kv struct {
	k string
	v any
}

// explore returns v's shape, its items when an array and its members when
// an object: in the order ord recorded for the object, else sorted by name.
func explore(v any, ord keyorder.Lookup) (shape, []any, []kv) {
	switch t := v.(type) {
	case nil, string, bool, float64, int, int64, json.Number, []byte, *File:
		return shapeScalar, nil, nil
	case []any:
		return shapeArray, t, nil
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return shapeArray, out, nil
	case map[string]any:
		return shapeObject, nil, members(t, ord)
	case map[string]string:
		m := make([]kv, 0, len(t))
		for k, s := range t {
			m = append(m, kv{k, s})
		}
		slices.SortFunc(m, func(a, b kv) int { return cmpString(a.k, b.k) })
		return shapeObject, nil, m
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return shapeArray, out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return shapeScalar, nil, nil
		}
		m := make([]kv, 0, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m = append(m, kv{it.Key().String(), it.Value().Interface()})
		}
		slices.SortFunc(m, func(a, b kv) int { return cmpString(a.k, b.k) })
		return shapeObject, nil, m
	case reflect.Pointer:
		if rv.IsNil() {
			return shapeScalar, nil, nil
		}
		return explore(rv.Elem().Interface(), ord)
	}
	return shapeScalar, nil, nil
}

func members(m map[string]any, ord keyorder.Lookup) []kv {
	names := keyorder.Members(m, ord)
	out := make([]kv, len(names))
	for i, k := range names {
		out[i] = kv{k, m[k]}
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// appendList appends items (or the flattened members) separated by sep,
// each escaped per mode. kvSep separates a member name from its value in
// exploded object forms; "" means members are flattened into the list.
func appendList(buf []byte, arr []any, obj []kv, sep, kvSep string, mode escMode) []byte {
	for i, e := range arr {
		if i > 0 {
			buf = append(buf, sep...)
		}
		buf = appendScalar(buf, e, mode)
	}
	for i, m := range obj {
		if i > 0 {
			buf = append(buf, sep...)
		}
		buf = appendEscaped(buf, m.k, mode)
		if kvSep == "" {
			buf = append(buf, sep...)
		} else {
			buf = append(buf, kvSep...)
		}
		buf = appendScalar(buf, m.v, mode)
	}
	return buf
}

// appendPathValue serializes a path parameter value (simple, label or
// matrix style) with every character outside the unreserved set
// percent-encoded.
func appendPathValue(buf []byte, name string, v any, style string, explode bool, ord keyorder.Lookup) []byte {
	sh, arr, obj := explore(v, ord)
	const mode = escUnreserved
	switch style {
	case "label":
		buf = append(buf, '.')
		if sh == shapeScalar {
			return appendScalar(buf, v, mode)
		}
		if explode {
			return appendList(buf, arr, obj, ".", "=", mode)
		}
		return appendList(buf, arr, obj, ",", "", mode)
	case "matrix":
		switch {
		case sh == shapeScalar:
			buf = append(buf, ';')
			buf = appendEscaped(buf, name, mode)
			if v == nil {
				return buf
			}
			if s, ok := v.(string); ok && s == "" {
				return buf
			}
			buf = append(buf, '=')
			return appendScalar(buf, v, mode)
		case explode && sh == shapeArray:
			for _, e := range arr {
				buf = append(buf, ';')
				buf = appendEscaped(buf, name, mode)
				buf = append(buf, '=')
				buf = appendScalar(buf, e, mode)
			}
			return buf
		case explode:
			for _, m := range obj {
				buf = append(buf, ';')
				buf = appendEscaped(buf, m.k, mode)
				buf = append(buf, '=')
				buf = appendScalar(buf, m.v, mode)
			}
			return buf
		}
		buf = append(buf, ';')
		buf = appendEscaped(buf, name, mode)
		buf = append(buf, '=')
		return appendList(buf, arr, obj, ",", "", mode)
	}
	return appendSimple(buf, v, sh, arr, obj, explode, mode)
}

// appendSimple serializes in simple style.
func appendSimple(buf []byte, v any, sh shape, arr []any, obj []kv, explode bool, mode escMode) []byte {
	if sh == shapeScalar {
		return appendScalar(buf, v, mode)
	}
	if explode {
		return appendList(buf, arr, obj, ",", "=", mode)
	}
	return appendList(buf, arr, obj, ",", "", mode)
}

// appendQueryParam appends the query pairs of one parameter to the query
// string in buf.
func appendQueryParam(buf []byte, name string, v any, style string, explode, allowReserved bool, ord keyorder.Lookup) []byte {
	mode := escUnreserved
	if allowReserved {
		mode = escReserved
	}
	pair := func(buf []byte, name string) []byte {
		if len(buf) > 0 {
			buf = append(buf, '&')
		}
		buf = appendEscaped(buf, name, escUnreserved)
		return append(buf, '=')
	}
	sh, arr, obj := explore(v, ord)
	if sh == shapeScalar {
		return appendScalar(pair(buf, name), v, mode)
	}
	var sep string
	switch style {
	case "deepObject":
		if sh == shapeObject {
			return appendDeep(buf, name, obj, mode, 0, ord)
		}
		explode = true
	case "spaceDelimited":
		sep = "%20"
	case "pipeDelimited":
		sep = "%7C"
	case "tabDelimited":
		sep = "%09"
	}
	if sep != "" && !explode {
		return appendList(pair(buf, name), arr, obj, sep, "", mode)
	}
	if !explode {
		if len(arr) == 0 && len(obj) == 0 {
			return pair(buf, name)
		}
		return appendList(pair(buf, name), arr, obj, ",", "", mode)
	}
	for _, e := range arr {
		buf = appendScalar(pair(buf, name), e, mode)
	}
	for _, m := range obj {
		buf = appendScalar(pair(buf, m.k), m.v, mode)
	}
	return buf
}

// maxDeep bounds deepObject nesting (values are data, but they may be
// self-referential Go maps).
const maxDeep = 32

// appendDeep serializes members in deepObject style: name[k]=v.
func appendDeep(buf []byte, prefix string, obj []kv, mode escMode, depth int, ord keyorder.Lookup) []byte {
	for _, m := range obj {
		key := prefix + "[" + m.k + "]"
		sh, arr, sub := explore(m.v, ord)
		switch {
		case sh == shapeObject && depth < maxDeep:
			buf = appendDeep(buf, key, sub, mode, depth+1, ord)
		case sh == shapeArray:
			for _, e := range arr {
				buf = appendDeepPair(buf, key, e, mode)
			}
		default:
			buf = appendDeepPair(buf, key, m.v, mode)
		}
	}
	return buf
}

func appendDeepPair(buf []byte, key string, v any, mode escMode) []byte {
	if len(buf) > 0 {
		buf = append(buf, '&')
	}
	buf = appendEscaped(buf, key, escUnreserved)
	buf = append(buf, '=')
	return appendScalar(buf, v, mode)
}

// appendHeaderValue serializes a header value in simple style, unescaped.
func appendHeaderValue(buf []byte, v any, explode bool, ord keyorder.Lookup) []byte {
	sh, arr, obj := explore(v, ord)
	return appendSimple(buf, v, sh, arr, obj, explode, escNone)
}

// appendCookie appends the cookie pairs of one parameter, "; "-separated.
// style "cookie" (OpenAPI 3.2) sends values as they are; form (the default)
// percent-encodes them.
func appendCookie(buf []byte, name string, v any, style string, explode bool, ord keyorder.Lookup) []byte {
	mode := escUnreserved
	if style == "cookie" {
		mode = escNone
	}
	pair := func(buf []byte, name string) []byte {
		if len(buf) > 0 {
			buf = append(buf, "; "...)
		}
		buf = append(buf, name...)
		return append(buf, '=')
	}
	sh, arr, obj := explore(v, ord)
	switch {
	case sh == shapeScalar:
		return appendScalar(pair(buf, name), v, mode)
	case !explode:
		return appendList(pair(buf, name), arr, obj, ",", "", mode)
	}
	for _, e := range arr {
		buf = appendScalar(pair(buf, name), e, mode)
	}
	for _, m := range obj {
		buf = appendScalar(pair(buf, m.k), m.v, mode)
	}
	return buf
}
