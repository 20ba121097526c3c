package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-arazzo/arazzo/internal/keyorder"
)

// EncodeBody serializes v as contentType (JSON and +json, form-urlencoded,
// multipart/form-data with file parts for []byte and *File values, XML from
// a string or from data (elements named after the members, root <root>;
// BuildRequest follows the body schema's XML Object instead), text/*,
// octet-stream and other raw types from string or bytes). Object members
// are sorted by name (BuildRequest keeps Body.Order).
// It returns the bytes and the Content-Type header value to send (with a
// multipart boundary when needed). enc holds the per-property encodings of
// form and multipart bodies; it may be nil.
//
// Decisions where OpenAPI is silent: a string for a JSON media type is sent
// verbatim when it already is JSON text, else it is JSON-encoded; []byte and
// *File values are always sent byte for byte; with no contentType, one is
// inferred from v (JSON for data, octet-stream for bytes, text/plain for a
// string).
func EncodeBody(contentType string, v any, enc map[string]Encoding) ([]byte, string, error) {
	return appendBody(nil, contentType, v, bodyOpts{enc: enc})
}

// bodyOpts is what encoding a body needs besides the value and its media
// type.
type bodyOpts struct {
	// enc holds the per-property encodings of form and multipart bodies.
	enc map[string]Encoding
	// xml maps the body's schema to XML elements and attributes.
	xml *XMLShape
	// ord gives the written member order of objects.
	ord keyorder.Lookup
}

// appendBody is EncodeBody appending to buf.
func appendBody(buf []byte, contentType string, v any, o bodyOpts) ([]byte, string, error) {
	if contentType == "" {
		contentType = inferContentType(v)
	}
	media := mediaType(contentType)
	switch {
	case isJSON(media):
		return appendJSONBody(buf, contentType, v, o.ord)
	case media == "application/x-www-form-urlencoded":
		b, err := appendForm(buf, v, o.enc, o.ord)
		return b, contentType, err
	case strings.HasPrefix(media, "multipart/"):
		return encodeMultipart(contentType, media, v, o)
	case isXML(media):
		switch t := v.(type) {
		case string, []byte, *File, nil:
			b, err := appendRaw(buf, t)
			return b, contentType, err
		}
		b, err := appendXMLDocument(buf, v, o.xml, o.ord)
		if err != nil {
			return nil, "", fmt.Errorf("cannot encode the request body as %s: %w", contentType, err)
		}
		return b, contentType, nil
	}
	// text/* and every other media type: raw bytes, or the text of a value.
	switch v.(type) {
	case string, []byte, *File, nil:
		b, err := appendRaw(buf, v)
		return b, contentType, err
	}
	if sh, _, _ := explore(v, nil); sh == shapeScalar {
		return appendScalar(buf, v, escNone), contentType, nil
	}
	b, err := appendJSON(buf, v, 0, o.ord)
	return b, contentType, err
}

func appendRaw(buf []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return append(buf, t...), nil
	case []byte:
		return append(buf, t...), nil
	case *File:
		if t != nil {
			return append(buf, t.Data...), nil
		}
	}
	return buf, nil
}

// inferContentType picks a media type for a body sent without one.
func inferContentType(v any) string {
	switch t := v.(type) {
	case []byte:
		return "application/octet-stream"
	case *File:
		if t != nil && t.ContentType != "" {
			return t.ContentType
		}
		return "application/octet-stream"
	case string:
		if json.Valid([]byte(t)) && strings.TrimSpace(t) != "" && strings.ContainsAny(strings.TrimSpace(t)[:1], "{[") {
			return "application/json"
		}
		return "text/plain"
	}
	return "application/json"
}

// mediaType returns the lower-case type/subtype of a Content-Type value.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

func isJSON(media string) bool {
	return media == "application/json" || strings.HasSuffix(media, "+json") || media == "text/json" || strings.HasSuffix(media, "/x-json")
}

func isXML(media string) bool {
	return media == "application/xml" || media == "text/xml" || strings.HasSuffix(media, "+xml")
}

func describe(v any) string {
	switch sh, _, _ := explore(v, nil); sh {
	case shapeArray:
		return "array"
	case shapeObject:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func appendJSONBody(buf []byte, contentType string, v any, ord keyorder.Lookup) ([]byte, string, error) {
	switch t := v.(type) {
	case string:
		if json.Valid([]byte(t)) {
			return append(buf, t...), contentType, nil
		}
	case []byte:
		return append(buf, t...), contentType, nil
	case *File:
		if t != nil {
			return append(buf, t.Data...), contentType, nil
		}
	}
	b, err := appendJSON(buf, v, 0, ord)
	if err != nil {
		return nil, "", fmt.Errorf("cannot encode the request body as %s: %w", contentType, err)
	}
	return b, contentType, nil
}

// maxJSONNest bounds appendJSON's recursion (self-referential Go values).
const maxJSONNest = 1000

// appendJSON appends v as JSON. Generic JSON values are written directly,
// object members in the order ord recorded, else sorted by name (like
// encoding/json); anything else goes through encoding/json.
func appendJSON(buf []byte, v any, depth int, ord keyorder.Lookup) ([]byte, error) {
	if depth > maxJSONNest {
		return nil, errors.New("value nested too deeply (a cycle?)")
	}
	switch t := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendJSONString(buf, t), nil
	case bool:
		return strconv.AppendBool(buf, t), nil
	case float64:
		return appendJSONFloat(buf, t)
	case int:
		return strconv.AppendInt(buf, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(buf, t, 10), nil
	case json.Number:
		if t == "" {
			return append(buf, '0'), nil
		}
		return append(buf, t...), nil
	case []any:
		buf = append(buf, '[')
		for i, e := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, e, depth+1, ord); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case map[string]any:
		return appendJSONObject(buf, t, depth, ord)
	case *File:
		if t == nil {
			return append(buf, "null"...), nil
		}
		return appendJSONString(buf, string(t.Data)), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

func appendJSONObject(buf []byte, m map[string]any, depth int, ord keyorder.Lookup) ([]byte, error) {
	var small [16]string // small objects are ordered without allocating
	keys := keyorder.AppendMembers(small[:0], m, ord)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = appendJSON(buf, m[k], depth+1, ord); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendJSONFloat formats like encoding/json.
func appendJSONFloat(buf []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("unsupported number %v in JSON", f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	n := len(buf)
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if m := len(buf) - n; m >= 4 && buf[len(buf)-4] == 'e' && buf[len(buf)-3] == '-' && buf[len(buf)-2] == '0' {
			buf[len(buf)-2] = buf[len(buf)-1]
			buf = buf[:len(buf)-1]
		}
	}
	return buf, nil
}

// appendJSONString appends s as a JSON string, escaping like encoding/json
// (without its HTML escaping, which an API body does not need).
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', upperhex[c>>4], upperhex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', upperhex[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// appendForm encodes an application/x-www-form-urlencoded body. A string or
// bytes payload is taken to be already encoded.
func appendForm(buf []byte, v any, enc map[string]Encoding, ord keyorder.Lookup) ([]byte, error) {
	switch t := v.(type) {
	case string, []byte, *File, nil:
		return appendRaw(buf, t)
	}
	sh, _, obj := explore(v, ord)
	if sh != shapeObject {
		return nil, fmt.Errorf("cannot encode a %s as application/x-www-form-urlencoded: give an object whose members become the form fields", describe(v))
	}
	for _, m := range obj {
		e, described := enc[m.k]
		style, explode := "form", true
		if described {
			if e.Style != "" {
				style = e.Style
			}
			explode = e.Explode
		}
		switch msh, arr, sub := explore(m.v, ord); {
		case msh == shapeScalar:
			buf = appendFormPair(buf, m.k, formText(m.v))
		case style == "deepObject" && msh == shapeObject:
			for _, s := range sub {
				buf = appendFormPair(buf, m.k+"["+s.k+"]", formText(s.v))
			}
		case msh == shapeArray && explode && style == "form":
			for _, e := range arr {
				buf = appendFormPair(buf, m.k, formText(e))
			}
		case msh == shapeArray:
			sep := ","
			switch style {
			case "spaceDelimited":
				sep = " "
			case "pipeDelimited":
				sep = "|"
			}
			parts := make([]string, len(arr))
			for i, e := range arr {
				parts[i] = formText(e)
			}
			buf = appendFormPair(buf, m.k, strings.Join(parts, sep))
		default:
			// Nested objects: JSON, the common expectation of form APIs
			// that accept structured fields.
			j, err := appendJSON(nil, m.v, 0, ord)
			if err != nil {
				return nil, err
			}
			buf = appendFormPair(buf, m.k, string(j))
		}
	}
	return buf, nil
}

// formText is the text of a form field value.
func formText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(appendScalar(nil, v, escNone))
}

func appendFormPair(buf []byte, k, v string) []byte {
	if len(buf) > 0 {
		buf = append(buf, '&')
	}
	buf = append(buf, url.QueryEscape(k)...)
	buf = append(buf, '=')
	return append(buf, url.QueryEscape(v)...)
}

// encodeMultipart encodes a multipart body: one part per object member (one
// per item for arrays), file parts for []byte and *File values.
func encodeMultipart(contentType, media string, v any, o bodyOpts) ([]byte, string, error) {
	switch t := v.(type) {
	case string, []byte:
		// A pre-built multipart body: the caller owns the boundary.
		b, err := appendRaw(nil, t)
		return b, contentType, err
	}
	sh, _, obj := explore(v, o.ord)
	if sh != shapeObject {
		return nil, "", fmt.Errorf("cannot encode a %s as %s: give an object whose members become the parts", describe(v), media)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["boundary"] != "" {
		if err := w.SetBoundary(params["boundary"]); err != nil {
			return nil, "", fmt.Errorf("bad multipart boundary in %q: %w", contentType, err)
		}
	}
	for _, m := range obj {
		e := o.enc[m.k]
		if arr, ok := asPartList(m.v); ok {
			for _, item := range arr {
				if err := writePart(w, m.k, item, e, o.ord); err != nil {
					return nil, "", err
				}
			}
			continue
		}
		if err := writePart(w, m.k, m.v, e, o.ord); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return body.Bytes(), media + "; boundary=" + w.Boundary(), nil
}

// asPartList reports whether v is an array whose items become separate
// parts (OpenAPI: array properties of multipart bodies repeat the part).
func asPartList(v any) ([]any, bool) {
	if _, isBytes := v.([]byte); isBytes {
		return nil, false
	}
	sh, arr, _ := explore(v, nil)
	return arr, sh == shapeArray
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "%0D", "\n", "%0A")

func writePart(w *multipart.Writer, name string, v any, e Encoding, ord keyorder.Lookup) error {
	h := textproto.MIMEHeader{}
	var data []byte
	switch t := v.(type) {
	case *File:
		if t == nil {
			break
		}
		filename := t.Name
		if filename == "" {
			filename = name
		}
		ct := t.ContentType
		if ct == "" {
			ct = e.ContentType
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(name), quoteEscaper.Replace(filename)))
		h.Set("Content-Type", ct)
		data = t.Data
	case []byte:
		ct := e.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(name), quoteEscaper.Replace(name)))
		h.Set("Content-Type", ct)
		data = t
	}
	if h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"`, quoteEscaper.Replace(name)))
		ct := e.ContentType
		if sh, _, _ := explore(v, nil); sh != shapeScalar {
			if ct == "" || strings.Contains(ct, ",") {
				ct = "application/json"
			}
			b, _, err := appendBody(nil, ct, v, bodyOpts{ord: ord})
			if err != nil {
				return fmt.Errorf("multipart part %q: %w", name, err)
			}
			data = b
		} else {
			data = []byte(formText(v))
		}
		if ct != "" && !strings.Contains(ct, ",") {
			h.Set("Content-Type", ct)
		}
	}
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = pw.Write(data)
	return err
}
