package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func FuzzLoad(f *testing.F) {
	for _, p := range []string{"testdata/swagger.yaml", "testdata/openapi31.yaml", "testdata/openapi32.yaml", "testdata/cyclic.yaml", "testdata/ext/main.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"openapi":"3.0.0","paths":{"/a":{"$ref":"#/paths/~1a"}}}`))
	f.Add([]byte("swagger: '2.0'\npaths: {/x: {get: {parameters: [{$ref: '#/parameters/p'}]}}}\nparameters: {p: {$ref: '#/parameters/p'}}"))
	f.Add([]byte("openapi: 3.1.0\npaths:\n  /a: &a\n    get: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// No fetcher: external references must not reach the file system.
		doc, err := Load(context.Background(), data, filepath.Join(t.TempDir(), "x.yaml"), nil)
		if err != nil {
			return
		}
		for _, op := range doc.Operations {
			if doc.OperationByPointer(op.Pointer) == nil {
				t.Fatalf("operation %s %s not found by its own pointer %q", op.Method, op.Path, op.Pointer)
			}
			doc.OperationByMethodPath(op.Method, op.Path)
		}
	})
}

func FuzzNewRequest(f *testing.F) {
	f.Add("/pets/{id}", "id", "path", "simple", false, "a/b", "k", "v", 1.5, "application/json")
	f.Add("/x", "q", "query", "deepObject", true, "x y", "k", "[", 0.0, "multipart/form-data")
	f.Add("/{a}{b}", "a", "path", "matrix", true, "%zz", "", "", -1e300, "application/x-www-form-urlencoded")
	f.Add("/x", "c", "cookie", "form", false, ";", "=", "&", 2.0, "text/plain")
	f.Add("/x", "h", "header", "label", true, "é", "a", "b", 3.0, "application/xml")
	styles := []string{"simple", "label", "matrix", "form", "spaceDelimited", "pipeDelimited", "deepObject", "tabDelimited", "cookie", ""}
	f.Fuzz(func(t *testing.T, path, name, in, style string, explode bool, s, k, kv string, num float64, ct string) {
		op := &Operation{Method: "POST", Path: path, Parameters: []*Parameter{{Name: name, In: in, Style: style, Explode: explode, AllowReserved: explode}}}
		values := []any{s, num, nil, true, []any{s, num}, map[string]any{k: kv, "n": num, "a": []any{s}}, []byte(s)}
		for i, v := range values {
			params := []ParamValue{{Name: name, In: in, Value: v}, {Name: k, In: "query", Value: v}}
			for _, st := range styles {
				op.Parameters[0].Style = st
				req, err := NewRequest(context.Background(), op, "https://api.example.com/v1", params, &Body{ContentType: ct, Value: values[(i+1)%len(values)]})
				if err != nil {
					continue
				}
				if _, err := url.Parse(req.URL.String()); err != nil {
					t.Fatalf("built URL %q does not parse: %v", req.URL.String(), err)
				}
			}
		}
	})
}

// FuzzXMLBody: any JSON value, written as XML with or without the schema's
// XML Object, is either refused with an error or a well-formed document
// with one root element.
func FuzzXMLBody(f *testing.F) {
	f.Add([]byte(`{"id":1,"name":"Rex & <Co>","photoUrls":["a","b"],"tags":["x"],"parent":{"id":2}}`), true)
	f.Add([]byte(`[{"id":1},{"id":2}]`), true)
	f.Add([]byte(`{"isbn":"1","lang":"en","title":"]]>"}`), false)
	f.Add([]byte(`{"a b":1}`), false)
	f.Add([]byte(`"\u0001"`), false)
	doc, err := Load(context.Background(), []byte(petXMLDescription), "pets.yaml", nil)
	if err != nil {
		f.Fatal(err)
	}
	pet := doc.OperationByID("addPet").RequestBody.xmlShape("application/xml")
	f.Fuzz(func(t *testing.T, data []byte, withShape bool) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		var shape *XMLShape
		if withShape {
			shape = pet
		}
		out, err := appendXMLDocument(nil, v, shape, nil)
		if err != nil {
			return
		}
		d := xml.NewDecoder(bytes.NewReader(out))
		roots, depth := 0, 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, out)
			}
			switch tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					roots++
				}
				depth++
			case xml.EndElement:
				depth--
			}
		}
		if roots != 1 {
			t.Fatalf("%d root elements:\n%s", roots, out)
		}
	})
}
