package openapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
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
	return build(ctx, op.Method, baseURL, op.Path, op, params, body)
}

// NewRawRequest builds a request for a method and absolute URL with no
// described operation (the x-operation extension); params are serialized
// with the default style of their location. {name} placeholders in the URL
// are filled from path parameters.
func NewRawRequest(ctx context.Context, method, url string, params []ParamValue, body *Body) (*http.Request, error) {
	if method == "" {
		method = http.MethodGet
	}
	return build(ctx, strings.ToUpper(method), url, "", nil, params, body)
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

func build(ctx context.Context, method, base, template string, op *Operation, params []ParamValue, body *Body) (*http.Request, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var where string
	if op != nil {
		where = " of " + op.Method + " " + op.Path
	}

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
		buf, err = appendPath(buf, template, op, params, where)
		if err != nil {
			return nil, err
		}
	} else {
		var err error
		buf, err = appendPath(buf, basePath, op, params, where)
		if err != nil {
			return nil, err
		}
	}

	// Query.
	query := make([]byte, 0, 64)
	query = append(query, baseQuery...)
	var cookie []byte
	var headers []ParamValue
	var headerVals []string
	for i := range params {
		pv := &params[i]
		in, style, explode, allowReserved, ct := settings(op, pv)
		v := pv.Value
		if ct != "" && in != "querystring" {
			b, _, err := EncodeBody(ct, v, nil)
			if err != nil {
				return nil, fmt.Errorf("parameter %q (in %s)%s: %w", pv.Name, in, where, err)
			}
			v = string(b)
		}
		switch in {
		case "path":
			// substituted above
		case "query":
			query = appendQueryParam(query, pv.Name, v, style, explode, allowReserved)
		case "querystring":
			q, err := querystring(v, ct)
			if err != nil {
				return nil, fmt.Errorf("parameter %q (in querystring)%s: %w", pv.Name, where, err)
			}
			if q != "" {
				if len(query) > 0 {
					query = append(query, '&')
				}
				query = append(query, q...)
			}
		case "header":
			hv := string(appendHeaderValue(nil, v, explode))
			if err := checkHeader(pv.Name, hv); err != nil {
				return nil, fmt.Errorf("parameter %q (in header)%s: %w", pv.Name, where, err)
			}
			headers = append(headers, *pv)
			headerVals = append(headerVals, hv)
		case "cookie":
			cookie = appendCookie(cookie, pv.Name, v, style, explode)
		default:
			return nil, fmt.Errorf("parameter %q%s has location %q; use path, query, querystring, header or cookie", pv.Name, where, in)
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
		var enc map[string]Encoding
		if op != nil && op.RequestBody != nil {
			enc = op.RequestBody.Encodings[ct]
		}
		var err error
		reqBody, contentType, err = appendBody(nil, ct, body.Value, enc)
		if err != nil {
			return nil, fmt.Errorf("request body%s: %w", where, err)
		}
		hasBody = true
	}

	var req *http.Request
	var err error
	if hasBody {
		req, err = http.NewRequestWithContext(ctx, method, string(buf), bytes.NewReader(reqBody))
	} else {
		req, err = http.NewRequestWithContext(ctx, method, string(buf), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot build the request%s for %q: %w", where, buf, err)
	}
	for i, h := range headers {
		if hasBody && strings.EqualFold(h.Name, "Content-Type") {
			continue // the body's own Content-Type (it may carry a boundary)
		}
		req.Header.Add(h.Name, headerVals[i])
	}
	if hasBody && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if len(cookie) > 0 {
		req.Header.Set("Cookie", string(cookie))
	}
	return req, nil
}

// appendPath appends template with its {name} variables replaced by the
// serialized path parameters.
func appendPath(buf []byte, template string, op *Operation, params []ParamValue, where string) ([]byte, error) {
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
			if ct != "" {
				b, _, err := EncodeBody(ct, v, nil)
				if err != nil {
					return nil, fmt.Errorf("path parameter %q%s: %w", name, where, err)
				}
				v = string(b)
			}
			buf = appendPathValue(buf, name, v, style, explode)
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
			return nil, fmt.Errorf("path parameter %q%s has no value; add it to the step's parameters with in: path", name, where)
		}
	}
}

// querystring renders an OpenAPI 3.2 querystring parameter: a string is the
// query string itself; an object is form-encoded, or encoded as ct and
// percent-encoded whole.
func querystring(v any, ct string) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimPrefix(t, "?"), nil
	case []byte:
		return strings.TrimPrefix(string(t), "?"), nil
	}
	if ct == "" || mediaType(ct) == "application/x-www-form-urlencoded" {
		b, err := appendForm(nil, v, nil)
		return string(b), err
	}
	b, _, err := EncodeBody(ct, v, nil)
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
