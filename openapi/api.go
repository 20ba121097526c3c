// Package openapi loads the API descriptions an Arazzo document's steps call
// (OpenAPI 2.0 converted to 3, 3.0, 3.1, and 3.2 best effort), indexes their
// operations, and builds HTTP requests for them: server selection, parameter
// serialization by style/explode, and request body encoding.
//
// CONTRACT FILE: the exported names below are what the rest of the project
// builds on. Implementations may move to other files; names and signatures
// stay.
package openapi

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/go-arazzo/arazzo/internal/fetch"
)

// Document is a loaded API description with its operation index.
type Document struct {
	// Location is where the description was read from (path or URL).
	Location string
	// Version is the declared version: "2.0", "3.0.3", "3.1.0", …
	Version string
	Title   string
	Servers []Server
	// Operations in document order (paths in file order, methods in
	// get, put, post, delete, options, head, patch, trace, query order).
	Operations []*Operation
	// SecuritySchemes by name.
	SecuritySchemes map[string]*SecurityScheme
	// T is the kin-openapi model (Swagger 2.0 converted to 3); nil when the
	// document could only be indexed best-effort.
	T *openapi3.T
}

// Server is a server URL template with its variables.
type Server struct {
	URL         string
	Description string
	Variables   map[string]ServerVariable
}

// ServerVariable is one server URL template variable.
type ServerVariable struct {
	Default string
	Enum    []string
}

// URLWith returns the server URL with variables substituted from values,
// falling back to each variable's default. An unknown variable in the
// template is an error.
func (s Server) URLWith(values map[string]string) (string, error) {
	return "", errNotImplemented
}

// Operation is one indexed operation.
type Operation struct {
	ID     string // operationId; "" when the description has none
	Method string // upper case: GET, POST, …
	Path   string // path template as written: /pets/{id}
	// Pointer is the JSON Pointer of the operation object:
	// "/paths/~1pets~1{id}/get".
	Pointer     string
	Summary     string
	Deprecated  bool
	Parameters  []*Parameter // path-level and operation-level merged, refs resolved
	RequestBody *RequestBody // nil when the operation takes none
	// Responses maps status code ("200", "2XX", "default") to response.
	Responses map[string]*Response
	// Servers is the effective server list: operation, else path, else
	// document level.
	Servers []Server
	// Security is the effective security requirement list (nil = inherit
	// nothing / none); each requirement maps scheme name to scopes.
	Security []map[string][]string
}

// Parameter is one operation parameter with its serialization settings
// (defaults applied: style form for query/cookie, simple for path/header;
// explode true only for form).
type Parameter struct {
	Name          string
	In            string // path, query, querystring, header, cookie
	Required      bool
	Style         string
	Explode       bool
	AllowReserved bool
	// ContentType is set for parameters described with `content` instead of
	// a schema; the value is then serialized as that media type.
	ContentType string
	// Type is the schema's type ("string", "array", "object", …) or "".
	Type string
}

// RequestBody describes what an operation accepts.
type RequestBody struct {
	Required bool
	// ContentTypes in document order.
	ContentTypes []string
	// Encodings per content type, then per property (multipart and form).
	Encodings map[string]map[string]Encoding
}

// Encoding is a multipart/form property encoding.
type Encoding struct {
	ContentType   string
	Style         string
	Explode       bool
	AllowReserved bool
}

// Response is a described response.
type Response struct {
	Description  string
	ContentTypes []string
	Headers      []string
}

// SecurityScheme is a security scheme definition.
type SecurityScheme struct {
	Type   string // apiKey, http, oauth2, openIdConnect, mutualTLS
	Scheme string // for http: basic, bearer, …
	In     string // for apiKey: header, query, cookie
	Name   string // for apiKey: the header/query/cookie name
}

// Load parses an API description from data, resolving external $refs
// through f relative to location.
func Load(ctx context.Context, data []byte, location string, f *fetch.Fetcher) (*Document, error) {
	return nil, errNotImplemented
}

// OperationByID returns the operation with the given operationId, or nil.
func (d *Document) OperationByID(id string) *Operation { return nil }

// OperationByPointer returns the operation at a JSON Pointer such as
// "/paths/~1pets~1{id}/get" or "#/paths/~1pets~1{id}/get", or nil. Common
// variants seen in published documents are accepted (unescaped path
// segments, upper-case methods).
func (d *Document) OperationByPointer(ptr string) *Operation { return nil }

// OperationByMethodPath returns the operation for method and a path
// template, or nil.
func (d *Document) OperationByMethodPath(method, path string) *Operation { return nil }

// ParamValue is one evaluated parameter to send.
type ParamValue struct {
	Name  string
	In    string
	Value any // generic JSON value
}

// File is a binary value with the metadata a multipart file part needs.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Body is an evaluated request body to encode.
type Body struct {
	// ContentType is the media type to send; "" means the operation's first.
	ContentType string
	// Value is generic JSON, a string, []byte or *File.
	Value any
}

// EncodeBody serializes v as contentType (JSON and +json, form-urlencoded,
// multipart/form-data with file parts for []byte and *File values, XML from
// a string, text/*, octet-stream and other raw types from string or bytes).
// It returns the bytes and the Content-Type header value to send (with a
// multipart boundary when needed).
func EncodeBody(contentType string, v any, enc map[string]Encoding) ([]byte, string, error) {
	return nil, "", errNotImplemented
}

// NewRequest builds the HTTP request for op against baseURL (an already
// expanded server URL): path parameters substituted and percent-encoded,
// query, header and cookie parameters serialized by style/explode, and the
// body encoded. Parameters op does not describe are still sent, with the
// default style of their location.
func NewRequest(ctx context.Context, op *Operation, baseURL string, params []ParamValue, body *Body) (*http.Request, error) {
	return nil, errNotImplemented
}

// NewRawRequest builds a request for a method and absolute URL with no
// described operation (the x-operation extension); params are serialized
// with the default style of their location.
func NewRawRequest(ctx context.Context, method, url string, params []ParamValue, body *Body) (*http.Request, error) {
	return nil, errNotImplemented
}

var errNotImplemented = errors.New("not implemented")

var _ io.Reader // keep io for implementations
