package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var petOp = &Operation{
	Method: "POST",
	Path:   "/pets/{petId}/photos",
	Parameters: []*Parameter{
		{Name: "petId", In: "path", Required: true, Style: "simple"},
		{Name: "tags", In: "query", Style: "form", Explode: false},
		{Name: "X-Request-Id", In: "header", Style: "simple"},
		{Name: "session", In: "cookie", Style: "form", Explode: true},
	},
	RequestBody: &RequestBody{ContentTypes: []string{"application/json", "multipart/form-data"}},
}

func TestNewRequest(t *testing.T) {
	var got struct {
		method, uri, ct, cookie, reqID, extra string
		body                                  []byte
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.uri = r.Method, r.RequestURI
		got.ct, got.cookie = r.Header.Get("Content-Type"), r.Header.Get("Cookie")
		got.reqID, got.extra = r.Header.Get("X-Request-Id"), r.Header.Get("X-Extra")
		got.body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()

	params := []ParamValue{
		{Name: "limit", In: "query", Value: 10.0}, // not described: form, explode
		{Name: "petId", In: "path", Value: "a/1"},
		{Name: "tags", In: "query", Value: []any{"x", "y z"}},
		{Name: "X-Request-Id", In: "header", Value: "r-1"},
		{Name: "X-Extra", In: "header", Value: []any{"a", "b"}},
		{Name: "session", In: "cookie", Value: "s1"},
		{Name: "theme", In: "cookie", Value: "dark"},
		{Name: "ids", In: "query", Value: []any{1.0, 2.0}},
	}
	body := &Body{Value: map[string]any{"name": "Rex", "age": 3.0}}
	req, err := NewRequest(context.Background(), petOp, srv.URL+"/v1/", params, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	checks := []struct{ what, got, want string }{
		{"method", got.method, "POST"},
		{"uri", got.uri, "/v1/pets/a%2F1/photos?limit=10&tags=x,y%20z&ids=1&ids=2"},
		{"content type", got.ct, "application/json"},
		{"cookie", got.cookie, "session=s1; theme=dark"},
		{"header", got.reqID, "r-1"},
		{"undescribed header", got.extra, "a,b"},
		{"body", string(got.body), `{"age":3,"name":"Rex"}`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
}

func TestNewRequestBaseURL(t *testing.T) {
	op := &Operation{Method: "GET", Path: "/pets"}
	for _, tc := range []struct{ base, want string }{
		{"https://api.example.com", "https://api.example.com/pets?a=1"},
		{"https://api.example.com/", "https://api.example.com/pets?a=1"},
		{"https://api.example.com/v1", "https://api.example.com/v1/pets?a=1"},
		{"https://api.example.com/v1//", "https://api.example.com/v1/pets?a=1"},
		{"https://api.example.com/v1?key=k", "https://api.example.com/v1/pets?key=k&a=1"},
	} {
		req, err := NewRequest(context.Background(), op, tc.base, []ParamValue{{Name: "a", In: "query", Value: 1.0}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := req.URL.String(); got != tc.want {
			t.Errorf("base %q: got %q, want %q", tc.base, got, tc.want)
		}
	}
}

func TestNewRequestErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := NewRequest(ctx, petOp, "http://h", nil, nil); err == nil || !strings.Contains(err.Error(), `path parameter "petId"`) {
		t.Errorf("missing path parameter: %v", err)
	}
	_, err := NewRequest(ctx, petOp, "http://h", []ParamValue{{Name: "petId", In: "path", Value: 1}, {Name: "X-Request-Id", In: "header", Value: "a\r\nEvil: 1"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "control character") {
		t.Errorf("header injection: %v", err)
	}
	_, err = NewRequest(ctx, petOp, "http://h", []ParamValue{{Name: "petId", In: "path", Value: 1}, {Name: "x", In: "body", Value: 1}}, nil)
	if err == nil || !strings.Contains(err.Error(), `location "body"`) {
		t.Errorf("bad location: %v", err)
	}
	if _, err := NewRequest(ctx, nil, "http://h", nil, nil); err == nil {
		t.Error("nil operation accepted")
	}
	_, err = NewRequest(ctx, &Operation{Method: "POST", Path: "/"}, "http://h", nil, &Body{ContentType: "application/xml", Value: map[string]any{"1a": 1.0}})
	if err == nil || !strings.Contains(err.Error(), `"1a" is not a valid XML name`) {
		t.Errorf("XML member with a name XML cannot hold: %v", err)
	}
}

func TestNewRequestParamWithoutLocation(t *testing.T) {
	req, err := NewRequest(context.Background(), petOp, "http://h", []ParamValue{{Name: "petId", Value: 7.0}, {Name: "tags", Value: []any{"a", "b"}}, {Name: "q", Value: "x"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL.String(), "http://h/pets/7/photos?tags=a,b&q=x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNewRequestQuerystring(t *testing.T) {
	op := &Operation{Method: "GET", Path: "/search", Parameters: []*Parameter{{Name: "q", In: "querystring", ContentType: "application/x-www-form-urlencoded"}}}
	for _, tc := range []struct {
		value any
		want  string
	}{
		{"?a=1&b=two", "a=1&b=two"},
		{map[string]any{"b": "x y", "a": 1.0}, "a=1&b=x+y"},
	} {
		req, err := NewRequest(context.Background(), op, "http://h", []ParamValue{{Name: "q", In: "querystring", Value: tc.value}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if req.URL.RawQuery != tc.want {
			t.Errorf("%v: got %q, want %q", tc.value, req.URL.RawQuery, tc.want)
		}
	}
	op.Parameters[0].ContentType = "application/json"
	req, err := NewRequest(context.Background(), op, "http://h", []ParamValue{{Name: "q", In: "querystring", Value: map[string]any{"a": 1.0}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "%7B%22a%22%3A1%7D"; req.URL.RawQuery != want {
		t.Errorf("JSON querystring = %q, want %q", req.URL.RawQuery, want)
	}
}

// A parameter described with content is serialized as that media type.
func TestNewRequestContentParam(t *testing.T) {
	op := &Operation{Method: "GET", Path: "/x", Parameters: []*Parameter{{Name: "filter", In: "query", Style: "form", Explode: true, ContentType: "application/json"}}}
	req, err := NewRequest(context.Background(), op, "http://h", []ParamValue{{Name: "filter", In: "query", Value: map[string]any{"status": "open"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "filter=%7B%22status%22%3A%22open%22%7D"; req.URL.RawQuery != want {
		t.Errorf("got %q, want %q", req.URL.RawQuery, want)
	}
}

func TestNewRawRequest(t *testing.T) {
	req, err := NewRawRequest(context.Background(), "post", "https://h.example/v1/items/{id}?fixed=1", []ParamValue{
		{Name: "id", In: "path", Value: "a b"},
		{Name: "q", In: "query", Value: []any{"x", "y"}},
		{Name: "Authorization", In: "header", Value: "Bearer t"},
	}, &Body{ContentType: "text/plain", Value: 42.0})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL.String(), "https://h.example/v1/items/a%20b?fixed=1&q=x&q=y"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
	if req.Method != "POST" || req.Header.Get("Authorization") != "Bearer t" || req.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("request = %s %v", req.Method, req.Header)
	}
	b, _ := io.ReadAll(req.Body)
	if string(b) != "42" {
		t.Errorf("body = %q", b)
	}
}

// The media type comes from a Content-Type header parameter when the body
// names none, and the body's encoder sets the final header (with boundary).
func TestNewRequestContentTypeHeader(t *testing.T) {
	op := &Operation{Method: "POST", Path: "/upload"}
	req, err := NewRequest(context.Background(), op, "http://h", []ParamValue{{Name: "Content-Type", In: "header", Value: "multipart/form-data"}},
		&Body{Value: map[string]any{"file": &File{Name: "a.bin", Data: []byte{0, 1, 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q", req.Header.Get("Content-Type"))
	}
	if len(req.Header.Values("Content-Type")) != 1 {
		t.Errorf("Content-Type sent twice: %v", req.Header.Values("Content-Type"))
	}
}

// Binary data downloaded by one step must reach the server byte for byte.
func TestBinaryBodyFidelity(t *testing.T) {
	data := make([]byte, 3*256+7)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var got [][]byte
	var types []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(p)
				got = append(got, b)
				types = append(types, p.FileName()+" "+p.Header.Get("Content-Type"))
			}
			return
		}
		b, _ := io.ReadAll(r.Body)
		got = append(got, b)
		types = append(types, r.Header.Get("Content-Type"))
	}))
	defer srv.Close()
	op := &Operation{Method: "PUT", Path: "/backup", RequestBody: &RequestBody{ContentTypes: []string{"application/octet-stream"}}}
	for _, body := range []*Body{
		{Value: data},
		{Value: &File{Name: "db.dump", Data: data}},
		{Value: string(data)},
		{ContentType: "application/gzip", Value: data},
		{ContentType: "application/json", Value: data},
		{ContentType: "multipart/form-data", Value: map[string]any{"backup": &File{Name: "db.dump", ContentType: "application/x-sql", Data: data}}},
		{ContentType: "multipart/form-data", Value: map[string]any{"raw": data}},
	} {
		req, err := NewRequest(context.Background(), op, srv.URL, nil, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	wantTypes := []string{"application/octet-stream", "application/octet-stream", "application/octet-stream", "application/gzip", "application/json", "db.dump application/x-sql", "raw application/octet-stream"}
	if len(got) != len(wantTypes) {
		t.Fatalf("%d bodies received, want %d", len(got), len(wantTypes))
	}
	for i := range got {
		if !bytes.Equal(got[i], data) {
			t.Errorf("body %d differs from what was sent (%d bytes, want %d)", i, len(got[i]), len(data))
		}
		if types[i] != wantTypes[i] {
			t.Errorf("body %d type = %q, want %q", i, types[i], wantTypes[i])
		}
	}
}

func TestEncodeBody(t *testing.T) {
	for _, tc := range []struct {
		name, ct string
		v        any
		enc      map[string]Encoding
		want     string
		wantCT   string
	}{
		{"json object", "application/json", map[string]any{"b": []any{1.0, "x", nil, true}, "a": "é<&>"}, nil, `{"a":"é<&>","b":[1,"x",null,true]}`, "application/json"},
		{"json text verbatim", "application/json; charset=utf-8", `{"a": 1}`, nil, `{"a": 1}`, "application/json; charset=utf-8"},
		{"json string encoded", "application/json", "hello", nil, `"hello"`, "application/json"},
		{"json number string", "application/json", "42", nil, `42`, "application/json"},
		{"+json", "application/vnd.api+json", map[string]any{"data": nil}, nil, `{"data":null}`, "application/vnd.api+json"},
		{"json scalar", "application/json", 2.5, nil, `2.5`, "application/json"},
		{"form", "application/x-www-form-urlencoded", map[string]any{"name": "a b&c", "n": 1.0, "tags": []any{"x", "y"}, "obj": map[string]any{"k": "v"}}, nil, "n=1&name=a+b%26c&obj=%7B%22k%22%3A%22v%22%7D&tags=x&tags=y", "application/x-www-form-urlencoded"},
		{"form encodings", "application/x-www-form-urlencoded", map[string]any{"tags": []any{"x", "y"}, "obj": map[string]any{"k": "v"}}, map[string]Encoding{"tags": {Style: "form", Explode: false}, "obj": {Style: "deepObject", Explode: true}}, "obj%5Bk%5D=v&tags=x%2Cy", "application/x-www-form-urlencoded"},
		{"form preencoded", "application/x-www-form-urlencoded", "a=1&b=2", nil, "a=1&b=2", "application/x-www-form-urlencoded"},
		{"text", "text/plain", "héllo", nil, "héllo", "text/plain"},
		{"text number", "text/plain", 3.0, nil, "3", "text/plain"},
		{"text object", "text/plain", map[string]any{"a": 1.0}, nil, `{"a":1}`, "text/plain"},
		{"xml", "application/xml", "<a>1</a>", nil, "<a>1</a>", "application/xml"},
		{"+xml bytes", "application/atom+xml", []byte("<feed/>"), nil, "<feed/>", "application/atom+xml"},
		{"octet string", "application/octet-stream", "raw\x00bytes", nil, "raw\x00bytes", "application/octet-stream"},
		{"inferred json", "", map[string]any{"a": 1.0}, nil, `{"a":1}`, "application/json"},
		{"inferred text", "", "hi", nil, "hi", "text/plain"},
		{"inferred file", "", &File{ContentType: "image/png", Data: []byte("PNG")}, nil, "PNG", "image/png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, ct, err := EncodeBody(tc.ct, tc.v, tc.enc)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want || ct != tc.wantCT {
				t.Errorf("got %q (%s), want %q (%s)", b, ct, tc.want, tc.wantCT)
			}
		})
	}
}

func TestEncodeMultipart(t *testing.T) {
	v := map[string]any{
		"name":    "Rex",
		"age":     3.0,
		"meta":    map[string]any{"a": 1.0},
		"photo":   &File{Name: "rex.png", Data: []byte{0x89, 'P', 'N', 'G'}},
		"raw":     []byte{1, 2},
		"tags":    []any{"a", "b"},
		"picture": &File{Data: []byte("p")},
	}
	enc := map[string]Encoding{"picture": {ContentType: "image/png"}, "name": {ContentType: "text/plain; charset=utf-8"}}
	b, ct, err := EncodeBody("multipart/form-data", v, enc)
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q: %v", ct, err)
	}
	mr := multipart.NewReader(bytes.NewReader(b), params["boundary"])
	var got []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		got = append(got, p.FormName()+"|"+p.FileName()+"|"+p.Header.Get("Content-Type")+"|"+string(data))
	}
	// name|filename|Content-Type|data, in sorted member order; arrays
	// repeat the part.
	want := []string{
		"age|||3",
		"meta||application/json|{\"a\":1}",
		"name||text/plain; charset=utf-8|Rex",
		"photo|rex.png|application/octet-stream|\x89PNG",
		"picture|picture|image/png|p",
		"raw|raw|application/octet-stream|\x01\x02",
		"tags|||a",
		"tags|||b",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("parts:\n%q\nwant:\n%q", got, want)
	}
	if _, _, err := EncodeBody("multipart/form-data", []any{1.0}, nil); err == nil {
		t.Error("multipart from an array accepted")
	}
}

// appendJSON must agree with encoding/json (HTML escaping aside).
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, v := range []any{
		nil, true, "a\"b\\c\n\t\x01\u2028 é \xff", 0.0, -0.0, 1e21, 1e20, 1.5e-7, 0.000001, 123456789.125, -3.0,
		int64(1 << 60), []any{}, map[string]any{}, map[string]any{"z": 1.0, "a": []any{map[string]any{"k": nil}}},
		json.Number("12.50"), []string{"x"}, map[string]int{"b": 1, "a": 2},
	} {
		got, err := appendJSON(nil, v, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		e := json.NewEncoder(&want)
		e.SetEscapeHTML(false)
		if err := e.Encode(v); err != nil {
			t.Fatal(err)
		}
		if string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("%#v: got %s, want %s", v, got, want.String())
		}
	}
}
