package openapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/go-arazzo/arazzo/internal/fetch"
	"github.com/go-arazzo/arazzo/internal/testutil"
)

func loadFile(t testing.TB, path string) *Document {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Dir(path))
	doc, err := Load(context.Background(), data, path, fetch.New(fetch.Options{AllowPaths: []string{abs}}))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return doc
}

func TestLoadExternalRefs(t *testing.T) {
	doc := loadFile(t, "testdata/ext/main.yaml")
	if docModel(doc) == nil {
		t.Errorf("kin-openapi model missing: %v", docModelErr(doc))
	}
	get := doc.OperationByID("getThing")
	if get == nil {
		t.Fatal("getThing not indexed")
	}
	var got []string
	for _, p := range get.Parameters {
		got = append(got, p.Name+"/"+p.In+"/"+p.Style+"/"+p.Type)
	}
	if want := []string{"id/path/simple/string", "filter/query/deepObject/object"}; !reflect.DeepEqual(got, want) {
		t.Errorf("parameters = %v, want %v", got, want)
	}
	if r := get.Responses["200"]; r == nil || r.Description != "A thing" || !reflect.DeepEqual(r.ContentTypes, []string{"application/json"}) || !reflect.DeepEqual(r.Headers, []string{"X-Rate-Limit"}) {
		t.Errorf("response 200 = %+v", r)
	}
	post := doc.OperationByPointer("#/paths/~1things/post")
	if post == nil || post.ID != "createThing" {
		t.Fatalf("createThing (path item in another file) = %+v", post)
	}
	rb := post.RequestBody
	if rb == nil || !rb.Required || !reflect.DeepEqual(rb.ContentTypes, []string{"application/json", "multipart/form-data"}) {
		t.Fatalf("request body = %+v", rb)
	}
	if e := rb.Encodings["multipart/form-data"]["picture"]; e.ContentType != "image/png" || !e.Explode {
		t.Errorf("encoding = %+v", e)
	}
	u, err := get.Servers[0].URLWith(nil)
	if err != nil || u != "https://api.example.com/v1" {
		t.Errorf("server URL = %q, %v", u, err)
	}
}

func TestLoadExternalRefsOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("testdata/ext")))
	defer srv.Close()
	data, err := os.ReadFile("testdata/ext/main.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Load(context.Background(), data, srv.URL+"/main.yaml", fetch.New(fetch.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if docModel(doc) == nil {
		t.Errorf("kin-openapi model missing: %v", docModelErr(doc))
	}
	if op := doc.OperationByID("createThing"); op == nil || op.RequestBody == nil {
		t.Errorf("createThing not resolved over HTTP: %+v", op)
	}
	if op := doc.OperationByID("getThing"); op == nil || len(op.Parameters) != 2 {
		t.Errorf("getThing parameters not resolved over HTTP: %+v", op)
	}
}

// External refs outside the fetcher's allowed directories are not read, but
// the document still loads with what can be indexed.
func TestLoadExternalRefsConfined(t *testing.T) {
	data, err := os.ReadFile("testdata/ext/main.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := fetch.New(fetch.Options{AllowPaths: []string{t.TempDir()}})
	doc, err := Load(context.Background(), data, "testdata/ext/main.yaml", f)
	if err != nil {
		t.Fatal(err)
	}
	if docModel(doc) != nil || docModelErr(doc) == nil || !strings.Contains(docModelErr(doc).Error(), "outside the allowed") {
		t.Errorf("model loaded despite confinement: T=%v err=%v", docModel(doc) != nil, docModelErr(doc))
	}
	op := doc.OperationByID("getThing")
	if op == nil || len(op.Parameters) != 0 {
		t.Fatalf("getThing = %+v", op)
	}
	if op := doc.OperationByPointer("/paths/~1things/post"); op != nil {
		t.Errorf("an unreadable path item has no known methods, got %+v", op)
	}
}

func TestLoadSwagger2(t *testing.T) {
	doc := loadFile(t, "testdata/swagger.yaml")
	if doc.Version != "2.0" || doc.Title != "Swagger fixture" {
		t.Errorf("version/title = %q/%q", doc.Version, doc.Title)
	}
	if docModel(doc) == nil {
		t.Errorf("kin-openapi model missing: %v", docModelErr(doc))
	} else if docModel(doc).Paths.Find("/pets") == nil {
		t.Error("converted model lacks /pets")
	}
	var urls []string
	for _, s := range doc.Servers {
		urls = append(urls, s.URL)
	}
	if want := []string{"https://api.example.com/v2", "http://api.example.com/v2"}; !reflect.DeepEqual(urls, want) {
		t.Errorf("servers = %v, want %v", urls, want)
	}
	list := doc.OperationByID("listPets")
	styles := map[string]string{}
	for _, p := range list.Parameters {
		styles[p.Name] = p.In + " " + p.Style + " " + map[bool]string{true: "explode", false: "-"}[p.Explode]
	}
	want := map[string]string{
		"limit":   "query form explode",
		"tags":    "query form -",
		"ids":     "query form explode",
		"sp":      "query spaceDelimited -",
		"pp":      "query pipeDelimited -",
		"tp":      "query tabDelimited -",
		"X-Trace": "header simple -",
	}
	if !reflect.DeepEqual(styles, want) {
		t.Errorf("styles = %v\nwant %v", styles, want)
	}
	if !reflect.DeepEqual(list.Security, []map[string][]string{{"key": {}}}) {
		t.Errorf("listPets security = %v", list.Security)
	}
	if list.Responses["200"] == nil || !reflect.DeepEqual(list.Responses["200"].ContentTypes, []string{"application/json"}) {
		t.Errorf("listPets responses = %+v", list.Responses)
	}
	create := doc.OperationByID("createPet")
	if create.RequestBody == nil || !create.RequestBody.Required || !reflect.DeepEqual(create.RequestBody.ContentTypes, []string{"application/json"}) {
		t.Errorf("createPet body = %+v", create.RequestBody)
	}
	if create.Security != nil {
		t.Errorf("createPet security = %v, want none", create.Security)
	}
	up := doc.OperationByID("uploadPhoto")
	if up.RequestBody == nil || !reflect.DeepEqual(up.RequestBody.ContentTypes, []string{"multipart/form-data"}) {
		t.Errorf("uploadPhoto body = %+v", up.RequestBody)
	}
	if len(up.Parameters) != 1 || up.Parameters[0].Name != "petId" || up.Parameters[0].Type != "integer" {
		t.Errorf("uploadPhoto parameters = %+v", up.Parameters)
	}
	if s := doc.SecuritySchemes["basicAuth"]; s == nil || s.Type != "http" || s.Scheme != "basic" {
		t.Errorf("basicAuth = %+v", s)
	}
	if s := doc.SecuritySchemes["key"]; s == nil || s.Type != "apiKey" || s.In != "header" || s.Name != "X-API-Key" {
		t.Errorf("key = %+v", s)
	}
}

func TestLoadOpenAPI31(t *testing.T) {
	doc := loadFile(t, "testdata/openapi31.yaml")
	list := doc.OperationByPointer("/paths/~1pets/get")
	if list == nil || list.ID != "listPets" {
		t.Fatalf("listPets via pathItems ref = %+v", list)
	}
	if len(list.Parameters) != 1 || list.Parameters[0].Type != "string" {
		t.Errorf("type list [string, null] should give string: %+v", list.Parameters)
	}
	if doc.OperationByID("newPetHook") != nil {
		t.Error("webhooks are not callable operations")
	}
	if got := list.Servers[0].URL; got != "/bnpl/v1" {
		t.Errorf("server = %q", got)
	}
	if got := ResolveServerURL("https://example.com/specs/openapi.yaml", list.Servers[0].URL); got != "https://example.com/bnpl/v1" {
		t.Errorf("resolved server = %q", got)
	}
	t.Logf("3.1 kin-openapi model: %v (%v)", docModel(doc) != nil, docModelErr(doc))
}

func TestLoadOpenAPI32(t *testing.T) {
	doc := loadFile(t, "testdata/openapi32.yaml")
	if op := doc.OperationByID("searchQuery"); op == nil || op.Method != "QUERY" {
		t.Errorf("QUERY method = %+v", op)
	}
	if op := doc.OperationByPointer("/paths/~1search/additionalOperations/LOCK"); op == nil || op.ID != "lockSearch" {
		t.Errorf("additionalOperations = %+v", op)
	}
	if op := doc.OperationByMethodPath("lock", "/search"); op == nil || op.ID != "lockSearch" {
		t.Errorf("LOCK /search = %+v", op)
	}
	p := doc.OperationByID("search").Parameters[0]
	if p.In != "querystring" || p.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("querystring parameter = %+v", p)
	}
	if doc.Servers[0].URL != "/" {
		t.Errorf("default server = %+v, want /", doc.Servers)
	}
}

func TestLoadCyclic(t *testing.T) {
	done := make(chan *Document)
	go func() { done <- loadFile(t, "testdata/cyclic.yaml") }()
	select {
	case doc := <-done:
		op := doc.OperationByID("getC")
		if op == nil || len(op.Parameters) != 0 {
			t.Errorf("getC = %+v (cyclic parameter refs resolve to nothing)", op)
		}
		if doc.OperationByPointer("/paths/~1a/get") != nil {
			t.Error("cyclic path items indexed an operation")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load hangs on cyclic $refs")
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "cannot parse"},
		{"not yaml", "{[", "cannot parse"},
		{"scalar", "hello", "not an API description"},
		{"no version", "info: {title: x}\npaths: {}", "neither an `openapi` nor a `swagger`"},
		{"arazzo", "arazzo: 1.0.1\ninfo: {title: x}", "neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), []byte(tc.data), "x.yaml", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Documents kin-openapi rejects are still indexed.
func TestLoadBestEffort(t *testing.T) {
	data := `{"openapi":"3.0.0","info":{"title":"odd","description":{"not":"a string"}},
"paths":{"/x/{id}":{"parameters":[{"$ref":"#/components/parameters/id"}],
"get":{"operationId":"getX","tags":[["nested"]],"parameters":[{"name":"id","in":"path","schema":{"type":"integer"}}]}}},
"components":{"parameters":{"id":{"name":"id","in":"path","schema":{"type":"string"}}}}}`
	doc, err := Load(context.Background(), []byte(data), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if docModel(doc) != nil || docModelErr(doc) == nil {
		t.Errorf("expected kin-openapi to reject this document")
	}
	op := doc.OperationByID("getX")
	if op == nil || len(op.Parameters) != 1 || op.Parameters[0].Type != "integer" {
		t.Fatalf("getX = %+v (operation-level parameter must win)", op)
	}
}

func TestJenticRunnerLookups(t *testing.T) {
	dir := filepath.Join(testutil.ConformanceDir(t, "jentic-runner"), "test_data")
	var cases struct {
		OperationLookupCases struct {
			Cases []struct {
				HTTPPath string `json:"http_path"`
				Method   string
				Expect   *struct{ Source, Path, Method, OperationID, URL string }
			}
		} `json:"operation_lookup_cases"`
		OperationPathPointerCases struct {
			Cases []struct {
				Source, Pointer string
				Expect          *struct{ Path, Method, URL, OperationID string }
			}
		} `json:"operation_path_pointer_cases"`
	}
	readJSON(t, filepath.Join(dir, "cases.json"), &cases)
	sources := map[string]*Document{
		"api_one": loadFile(t, filepath.Join(dir, "mock_apis/api_one.openapi.yaml")),
		"api_two": loadFile(t, filepath.Join(dir, "mock_apis/api_two.openapi.yaml")),
	}
	for _, c := range cases.OperationLookupCases.Cases {
		t.Run(c.Method+" "+c.HTTPPath, func(t *testing.T) {
			var got *Operation
			var src string
			for _, name := range []string{"api_one", "api_two"} {
				if op := sources[name].OperationByMethodPath(c.Method, c.HTTPPath); op != nil {
					got, src = op, name
					break
				}
			}
			if c.Expect == nil {
				if got != nil {
					t.Fatalf("found %s %s, want none", got.Method, got.Path)
				}
				return
			}
			if got == nil {
				t.Fatal("not found")
			}
			if got.ID != c.Expect.OperationID || !strings.EqualFold(got.Method, c.Expect.Method) {
				t.Errorf("got %s %s", got.Method, got.ID)
			}
			if c.Expect.Source != "" && (src != c.Expect.Source || got.Path != c.Expect.Path || got.Servers[0].URL+got.Path != c.Expect.URL) {
				t.Errorf("got %s %s%s", src, got.Servers[0].URL, got.Path)
			}
		})
	}
	pet := loadFile(t, filepath.Join(dir, "petstore/petstore.openapi.yaml"))
	for _, c := range cases.OperationPathPointerCases.Cases {
		t.Run(c.Source+c.Pointer, func(t *testing.T) {
			var got *Operation
			if c.Source == "petstore" || c.Source == pet.Servers[0].URL {
				got = pet.OperationByPointer(c.Pointer)
			}
			if c.Expect == nil {
				if got != nil {
					t.Fatalf("found %s %s, want none", got.Method, got.Path)
				}
				return
			}
			if got == nil {
				t.Fatal("not found")
			}
			if got.Path != c.Expect.Path || !strings.EqualFold(got.Method, c.Expect.Method) || c.Expect.OperationID != "" && got.ID != c.Expect.OperationID {
				t.Errorf("got %s %s %s", got.Method, got.Path, got.ID)
			}
			if c.Expect.URL != "" && got.Servers[0].URL+got.Path != c.Expect.URL {
				t.Errorf("url = %s%s", got.Servers[0].URL, got.Path)
			}
		})
	}
}

func TestOperationByPointerVariants(t *testing.T) {
	doc := loadFile(t, filepath.Join(testutil.ConformanceDir(t, "jentic-runner"), "test_data/petstore/petstore.openapi.yaml"))
	for _, ptr := range []string{
		"/paths/~1pets~1{petId}/get",
		"#/paths/~1pets~1{petId}/get",
		"#/paths/~1pets~1{petId}/GET",
		"#/paths//pets/{petId}/get",
		"/paths/pets/{petId}/get",
		"#/paths/~1pets~1%7BpetId%7D/get",
		"#/paths/%7E1pets%7E1%7BpetId%7D/get",
		"#/paths/~1pets~1{petId}/get/",
	} {
		if op := doc.OperationByPointer(ptr); op == nil || op.ID != "showPetById" {
			t.Errorf("OperationByPointer(%q) = %+v", ptr, op)
		}
	}
	for _, ptr := range []string{"", "#", "/paths", "/paths/~1pets", "/paths/~1pets/delete", "/components/schemas/Pet", "#/paths/~1pets~1{petId}/get/extra"} {
		if op := doc.OperationByPointer(ptr); op != nil {
			t.Errorf("OperationByPointer(%q) = %s %s, want nil", ptr, op.Method, op.Path)
		}
	}
	var nilDoc *Document
	if nilDoc.OperationByID("x") != nil || nilDoc.OperationByPointer("/x") != nil || nilDoc.OperationByMethodPath("GET", "/") != nil {
		t.Error("nil document lookups must return nil")
	}
}

func TestOperationOrder(t *testing.T) {
	data := `openapi: 3.0.0
info: {title: order, version: "1"}
paths:
  /z:
    post: {operationId: zPost}
    get: {operationId: zGet}
  /a:
    delete: {operationId: aDelete}
    put: {operationId: aPut}
`
	doc, err := Load(context.Background(), []byte(data), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, op := range doc.Operations {
		ids = append(ids, op.ID)
	}
	if want := []string{"zGet", "zPost", "aPut", "aDelete"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("order = %v, want %v", ids, want)
	}
}

// docModel and docModelErr read the lazily built kin-openapi model.
func docModel(d *Document) *openapi3.T {
	t, _ := d.Model()
	return t
}

func docModelErr(d *Document) error {
	_, err := d.Model()
	return err
}
