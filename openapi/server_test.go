package openapi

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestURLWith(t *testing.T) {
	s := Server{URL: "{scheme}://api.example.com:{port}/{base}", Variables: map[string]ServerVariable{
		"scheme": {Default: "https", Enum: []string{"http", "https"}},
		"port":   {Default: "443"},
	}}
	for _, tc := range []struct {
		values  map[string]string
		want    string
		wantErr string
	}{
		{map[string]string{"base": "v1"}, "https://api.example.com:443/v1", ""},
		{map[string]string{"base": "v2", "scheme": "http", "port": "80"}, "http://api.example.com:80/v2", ""},
		{nil, "", "does not declare"},
		{map[string]string{"base": "v1", "scheme": "ftp"}, "", "enum"},
	} {
		got, err := s.URLWith(tc.values)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err = %v, want %q", tc.values, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.values, got, err, tc.want)
		}
	}
	if _, err := (Server{URL: "https://x/{v"}).URLWith(nil); err == nil || !strings.Contains(err.Error(), "unterminated") {
		t.Errorf("unterminated variable: %v", err)
	}
}

func TestResolveServerURL(t *testing.T) {
	for _, tc := range []struct{ doc, server, want string }{
		{"https://example.com/specs/api.yaml", "/bnpl/v1", "https://example.com/bnpl/v1"},
		{"https://example.com/specs/api.yaml", "v1", "https://example.com/specs/v1"},
		{"https://example.com/specs/api.yaml", "/", "https://example.com/"},
		{"https://example.com/specs/api.yaml", "/{version}/x", "https://example.com/{version}/x"},
		{"https://example.com/specs/api.yaml", "//cdn.example.com/v1", "https://cdn.example.com/v1"},
		{"https://example.com/specs/api.yaml", "{scheme}://h/v1", "{scheme}://h/v1"},
		{"http://example.com/a.yaml", "https://other.example.com", "https://other.example.com"},
		{"/local/api.yaml", "/v1", "/v1"},
		{"", "/v1", "/v1"},
	} {
		if got := ResolveServerURL(tc.doc, tc.server); got != tc.want {
			t.Errorf("ResolveServerURL(%q, %q) = %q, want %q", tc.doc, tc.server, got, tc.want)
		}
	}
}

func TestSecurityAndServers(t *testing.T) {
	data := `openapi: 3.0.3
info: {title: sec, version: "1"}
servers: [{url: "https://doc.example.com"}]
security: [{apiKey: []}]
components:
  securitySchemes:
    apiKey: {type: apiKey, in: query, name: key}
    bearer: {type: http, scheme: Bearer}
    oauth: {type: oauth2, flows: {}}
paths:
  /a:
    servers: [{url: "https://path.example.com"}]
    get: {operationId: inherit}
    post:
      operationId: override
      security: [{oauth: [read, write]}, {bearer: [], apiKey: []}]
      servers: [{url: "https://op.example.com"}]
  /b:
    get: {operationId: none, security: []}
`
	doc, err := Load(context.Background(), []byte(data), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id     string
		sec    []map[string][]string
		server string
	}{
		{"inherit", []map[string][]string{{"apiKey": {}}}, "https://path.example.com"},
		{"override", []map[string][]string{{"oauth": {"read", "write"}}, {"bearer": {}, "apiKey": {}}}, "https://op.example.com"},
		{"none", nil, "https://doc.example.com"},
	} {
		op := doc.OperationByID(tc.id)
		if !reflect.DeepEqual(op.Security, tc.sec) {
			t.Errorf("%s: security = %v, want %v", tc.id, op.Security, tc.sec)
		}
		if op.Servers[0].URL != tc.server {
			t.Errorf("%s: server = %v, want %s", tc.id, op.Servers, tc.server)
		}
	}
	want := map[string]SecurityScheme{
		"apiKey": {Type: "apiKey", In: "query", Name: "key"},
		"bearer": {Type: "http", Scheme: "bearer"},
		"oauth":  {Type: "oauth2"},
	}
	for name, w := range want {
		if s := doc.SecuritySchemes[name]; s == nil || *s != w {
			t.Errorf("scheme %s = %+v, want %+v", name, s, w)
		}
	}
}

// Lookups work on a Document assembled by hand (as other packages' tests
// do), without Load.
func TestHandBuiltDocument(t *testing.T) {
	op := &Operation{ID: "getPet", Method: "GET", Path: "/pets/{id}"}
	doc := &Document{Operations: []*Operation{op}}
	if doc.OperationByID("getPet") != op || doc.OperationByPointer("#/paths/~1pets~1{id}/get") != op || doc.OperationByMethodPath("get", "/pets/7") != op {
		t.Error("hand-built document lookups failed")
	}
}
