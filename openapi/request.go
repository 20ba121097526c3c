package openapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-arazzo/arazzo/internal/keyorder"
)

// NewRequest builds the HTTP request for op against baseURL (an already
// expanded server URL): path parameters substituted and percent-encoded,
// query, header and cookie parameters serialized by style/explode, and the
// body encoded. Parameters op does not describe are still sent, with the
// default style of their location.
//
// Query pairs follow the order of params. A parameter without a location
// takes the location of the described parameter of that name, else query.
// A path parameter the template does not use is ignored; a template
// variable without a value is an error. A Content-Type header parameter
// chooses the body's media type when body.ContentType is empty. A nil body
// or body value sends no body.
func NewRequest(ctx context.Context, op *Operation, baseURL string, params []ParamValue, body *Body) (*http.Request, error) {
	if op == nil {
		return nil, fmt.Errorf("openapi: NewRequest needs an operation; use NewRawRequest for a bare method and URL")
	}
	p, err := build(op.Method, baseURL, op.Path, op, params, body)
	if err != nil {
		return nil, err
	}
	return p.httpRequest(ctx, op)
}

// Parts is a built request as plain data: what NewRequest puts into an
// *http.Request, for callers that ship the request elsewhere (the runner's
// Sender) and need no *http.Request.
type Parts struct {
	Method string
	// URL is absolute, as net/url renders it after parsing.
	URL    string
	Header http.Header
	// Body is the encoded body; nil when there is none (or it is empty).
	Body []byte
}

// BuildRequest is NewRequest without the *http.Request: the same URL,
// headers and body (and the same errors) as plain data, built with fewer
// allocations.
func BuildRequest(op *Operation, baseURL string, params []ParamValue, body *Body) (Parts, error) {
	if op == nil {
		return Parts{}, fmt.Errorf("openapi: BuildRequest needs an operation; use BuildRawRequest for a bare method and URL")
	}
	return build(op.Method, baseURL, op.Path, op, params, body)
}

// BuildRawRequest is NewRawRequest without the *http.Request (see
// BuildRequest).
func BuildRawRequest(method, url string, params []ParamValue, body *Body) (Parts, error) {
	if method == "" {
		method = http.MethodGet
	}
	return build(strings.ToUpper(method), url, "", nil, params, body)
}

// httpRequest turns p into an *http.Request.
func (p Parts) httpRequest(ctx context.Context, op *Operation) (*http.Request, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var rd io.Reader
	if p.Body != nil {
		rd = bytes.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, rd)
	if err != nil {
		return nil, fmt.Errorf("cannot build the request%s for %q: %w", opWhere(op), p.URL, err)
	}
	req.Header = p.Header
	return req, nil
}

// NewRawRequest builds a request for a method and absolute URL with no
// described operation (the x-operation extension); params are serialized
// with the default style of their location. {name} placeholders in the URL
// are filled from path parameters.
func NewRawRequest(ctx context.Context, method, url string, params []ParamValue, body *Body) (*http.Request, error) {
	if method == "" {
		method = http.MethodGet
	}
	p, err := build(strings.ToUpper(method), url, "", nil, params, body)
	if err != nil {
		return nil, err
	}
	return p.httpRequest(ctx, nil)
}

// described returns the operation's description of pv, or nil.
func described(op *Operation, pv *ParamValue) *Parameter {
	if op == nil {
		return nil
	}
	for _, p := range op.Parameters {
		if pv.In == "" && p.Name == pv.Name || sameParam(p.Name, p.In, pv.Name, pv.In) {
			return p
		}
	}
	return nil
}

// settings returns where pv goes and how it is serialized.
func settings(op *Operation, pv *ParamValue) (in, style string, explode, allowReserved bool, contentType string) {
	if p := described(op, pv); p != nil {
		return p.In, p.Style, p.Explode, p.AllowReserved, p.ContentType
	}
	in = pv.In
	if in == "" {
		in = "query"
	}
	style = defaultStyle(in)
	return in, style, style == "form", false, ""
}

// opWhere names op in error messages (" of GET /pets"), "" for none. It is
// called only on errors, so that building a request allocates no text it
// does not send.
func opWhere(op *Operation) string {
	if op == nil {
		return ""
	}
	return " of " + op.Method + " " + op.Path
}

func build(method, base, template string, op *Operation, params []ParamValue, body *Body) (Parts, error) {

	// Base URL: a query or fragment on it is kept apart from the path.
	basePath, baseQuery := base, ""
	if i := strings.IndexAny(basePath, "?#"); i >= 0 {
		basePath, baseQuery = base[:i], base[i:]
		if j := strings.IndexByte(baseQuery, '#'); j >= 0 {
			baseQuery = baseQuery[:j]
		}
		baseQuery = strings.TrimPrefix(baseQuery, "?")
	}
	buf := make([]byte, 0, 128)
	if template != "" {
		buf = append(buf, strings.TrimRight(basePath, "/")...)
		if template[0] != '/' {
			buf = append(buf, '/')
		}
		// A template variable is replaced below; write it as-is first.
		var err error
		buf, err = appendPath(buf, template, op, params)
		if err != nil {
			return Parts{}, err
		}
	} else {
		var err error
		buf, err = appendPath(buf, basePath, op, params)
		if err != nil {
			return Parts{}, err
		}
	}

	// Query.
	query := make([]byte, 0, 64)
	query = append(query, baseQuery...)
	var cookie []byte
	// Most requests have a few header parameters: keep them on the stack.
	var headerBuf [4]ParamValue
	var headerValBuf [4]string
	headers, headerVals := headerBuf[:0], headerValBuf[:0]
	for i := range params {
		pv := &params[i]
		in, style, explode, allowReserved, ct := settings(op, pv)
		v := pv.Value
		ord := keyorder.Lookup(pv.Order)
		if ct != "" && in != "querystring" {
			b, _, err := appendBody(nil, ct, v, bodyOpts{ord: ord})
			if err != nil {
				return Parts{}, fmt.Errorf("parameter %q (in %s)%s: %w", pv.Name, in, opWhere(op), err)
			}
			v = string(b)
		}
		switch in {
		case "path":
			// substituted above
		case "query":
			query = appendQueryParam(query, pv.Name, v, style, explode, allowReserved, ord)
		case "querystring":
			q, err := querystring(v, ct, ord)
			if err != nil {
				return Parts{}, fmt.Errorf("parameter %q (in querystring)%s: %w", pv.Name, opWhere(op), err)
			}
			if q != "" {
				if len(query) > 0 {
					query = append(query, '&')
				}
				query = append(query, q...)
			}
		case "header":
			var tmp [128]byte
			hv := string(appendHeaderValue(tmp[:0], v, explode, ord))
			if err := checkHeader(pv.Name, hv); err != nil {
				return Parts{}, fmt.Errorf("parameter %q (in header)%s: %w", pv.Name, opWhere(op), err)
			}
			headers = append(headers, *pv)
			headerVals = append(headerVals, hv)
		case "cookie":
			cookie = appendCookie(cookie, pv.Name, v, style, explode, ord)
		default:
			return Parts{}, fmt.Errorf("parameter %q%s has location %q; use path, query, querystring, header or cookie", pv.Name, opWhere(op), in)
		}
	}
	if len(query) > 0 {
		buf = append(buf, '?')
		buf = append(buf, query...)
	}

	// Body. A Content-Type header parameter picks the media type when the
	// body does not name one.
	var reqBody []byte
	var contentType string
	var hasBody bool
	if body != nil && body.Value != nil {
		ct := body.ContentType
		if ct == "" {
			for i, h := range headers {
				if strings.EqualFold(h.Name, "Content-Type") {
					ct = headerVals[i]
				}
			}
		}
		if ct == "" && op != nil && op.RequestBody != nil && len(op.RequestBody.ContentTypes) > 0 {
			ct = op.RequestBody.ContentTypes[0]
		}
		o := bodyOpts{ord: keyorder.Lookup(body.Order)}
		if op != nil && op.RequestBody != nil {
			o.enc = op.RequestBody.Encodings[ct]
			o.xml = op.RequestBody.xmlShape(ct)
		}
		var err error
		reqBody, contentType, err = appendBody(make([]byte, 0, 256), ct, body.Value, o)
		if err != nil {
			return Parts{}, fmt.Errorf("request body%s: %w", opWhere(op), err)
		}
		hasBody = true
	}

	u, err := url.Parse(string(buf))
	if err == nil && !validMethod(method) {
		err = fmt.Errorf("invalid method %q", method)
	}
	if err != nil {
		return Parts{}, fmt.Errorf("cannot build the request%s for %q: %w", opWhere(op), buf, err)
	}
	// As http.NewRequest: "host:" means "host".
	u.Host = strings.TrimSuffix(u.Host, ":")
	p := Parts{Method: method, URL: u.String(), Header: make(http.Header, len(headers)+2)}
	for i, h := range headers {
		if hasBody && strings.EqualFold(h.Name, "Content-Type") {
			continue // the body's own Content-Type (it may carry a boundary)
		}
		p.Header.Add(h.Name, headerVals[i])
	}
	if hasBody && contentType != "" {
		p.Header.Set("Content-Type", contentType)
	}
	if len(cookie) > 0 {
		p.Header.Set("Cookie", string(cookie))
	}
	if len(reqBody) > 0 {
		p.Body = reqBody
	}
	return p, nil
}

// validMethod reports whether m is an HTTP token (RFC 9110), as
// http.NewRequest requires.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// appendPath appends template with its {name} variables replaced by the
// serialized path parameters.
func appendPath(buf []byte, template string, op *Operation, params []ParamValue) ([]byte, error) {
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			return append(buf, template...), nil
		}
		j := strings.IndexByte(template[i:], '}')
		if j < 0 {
			return append(buf, template...), nil
		}
		buf = append(buf, template[:i]...)
		name := template[i+1 : i+j]
		template = template[i+j+1:]
		found := false
		for k := range params {
			pv := &params[k]
			if pv.Name != name || pv.In != "path" && pv.In != "" {
				continue
			}
			in, style, explode, _, ct := settings(op, pv)
			if in != "path" {
				continue
			}
			v := pv.Value
			ord := keyorder.Lookup(pv.Order)
			if ct != "" {
				b, _, err := appendBody(nil, ct, v, bodyOpts{ord: ord})
				if err != nil {
					return nil, fmt.Errorf("path parameter %q%s: %w", name, opWhere(op), err)
				}
				v = string(b)
			}
			buf = appendPathValue(buf, name, v, style, explode, ord)
			found = true
			break
		}
		if !found {
			if op == nil {
				// A raw URL may hold literal braces; keep them.
				buf = append(buf, "%7B"...)
				buf = appendEscaped(buf, name, escUnreserved)
				buf = append(buf, "%7D"...)
				continue
			}
			return nil, fmt.Errorf("path parameter %q%s has no value; add it to the step's parameters with in: path", name, opWhere(op))
		}
	}
}

// querystring renders an OpenAPI 3.2 querystring parameter: a string is the
// query string itself; an object is form-encoded, or encoded as ct and
// percent-encoded whole.
func querystring(v any, ct string, ord keyorder.Lookup) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimPrefix(t, "?"), nil
	case []byte:
		return strings.TrimPrefix(string(t), "?"), nil
	}
	if ct == "" || mediaType(ct) == "application/x-www-form-urlencoded" {
		b, err := appendForm(nil, v, nil, ord)
		return string(b), err
	}
	b, _, err := appendBody(nil, ct, v, bodyOpts{ord: ord})
	if err != nil {
		return "", err
	}
	return string(appendEscaped(nil, string(b), escUnreserved)), nil
}

// checkHeader refuses header values that would split or corrupt the request.
func checkHeader(name, v string) error {
	if name == "" {
		return fmt.Errorf("header parameter without a name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("header name %q has the invalid character %q", name, c)
		}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("header value has the control character %q, which HTTP forbids; remove line breaks from the value", c)
		}
	}
	return nil
}
