package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const leakyAPI = `openapi: 3.0.3
info: {title: leaky, version: "1"}
paths:
  /login:
    post:
      operationId: login
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
  /items:
    get:
      operationId: search
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: pw, in: query, schema: {type: string}}
        - {name: X-API-Key, in: header, schema: {type: string}}
      responses: {"200": {description: ok}}
  /items/{id}:
    put:
      operationId: update
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: Authorization, in: header, schema: {type: string}}
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
`

const leakyFlow = `arazzo: 1.0.1
info: {title: leaky, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: leaky
    inputs:
      type: object
      required: [password, apiToken, note]
      properties:
        password: {type: string, format: password}
        apiToken: {type: string}
        note: {type: string}
    steps:
      - stepId: login
        operationId: login
        requestBody:
          contentType: application/json
          payload: {user: alice, password: $inputs.password}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {token: $response.body#/token}
      - stepId: search
        operationId: search
        parameters:
          - {name: q, in: query, value: $inputs.note}
          - {name: pw, in: query, value: $inputs.password}
          - {name: X-API-Key, in: header, value: $inputs.apiToken}
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: update
        operationId: update
        parameters:
          - {name: id, in: path, value: "42"}
          - {name: Authorization, in: header, value: "Bearer {$steps.login.outputs.token}"}
        requestBody:
          contentType: application/json
          payload: {note: $inputs.note, key: $inputs.apiToken}
        successCriteria:
          - condition: $response.body#/status == "ok"
      - stepId: never
        operationId: search
    outputs:
      token: $steps.login.outputs.token
`

// The secrets planted in every place a run can print or write.
var planted = map[string]string{
	"password input (format: password), in a body and a query": "pw-Input-Secret-111",
	"--secret literal, in a query and a body":                  "lit Secret/222&x",
	"input sent as X-API-Key":                                  "hdr-Secret-333",
	"token returned by the server, sent back as Authorization": "srv-Token-444",
	"--mask-header response header":                            "sess-Secret-555",
	"Set-Cookie value":                                         "cookie-Secret-666",
}

// leakyServer answers the leaky workflow and echoes everything it
// receives, so that every secret comes back in responses and errors.
func leakyServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/login":
			w.Header().Set("Set-Cookie", "sid=cookie-Secret-666; Path=/; HttpOnly")
			w.Header().Set("X-Session", "sess-Secret-555")
			fmt.Fprintf(w, `{"token":"srv-Token-444","echo":%q}`, string(body))
		case r.URL.Path == "/items":
			fmt.Fprintf(w, `{"items":[],"echo":%q}`, r.URL.RawQuery+" "+r.Header.Get("X-API-Key"))
		default:
			w.WriteHeader(http.StatusUnprocessableEntity)
			// Criteria explanations cut values at 120 bytes: the cut falls
			// inside the cookie secret.
			status := fmt.Sprintf("%-104s%s auth=%s body=%s session=sess-Secret-555", "denied:",
				"cookie-Secret-666", r.Header.Get("Authorization"), body)
			fmt.Fprintf(w, `{"status":%q}`, status)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func leakyFixture(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(leakyAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "flow.yaml")
	if err := os.WriteFile(path, []byte(leakyFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSecretsNeverLeak runs a workflow that handles a secret in every way
// a run can (inputs, headers, query strings, bodies, server-issued tokens,
// a failing step whose error quotes them) with every output format and
// every report, and checks that no secret's bytes appear anywhere.
func TestSecretsNeverLeak(t *testing.T) {
	srv := leakyServer(t)
	flow := leakyFixture(t)
	modes := map[string][]string{
		"text":         nil,
		"text-verbose": {"--verbose"},
		"json":         {"--format", "json"},
		"json-verbose": {"--format", "json", "--verbose"},
	}
	for name, extra := range modes {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			reports := map[string]string{
				"json":  filepath.Join(dir, "run.json"),
				"junit": filepath.Join(dir, "junit.xml"),
				"har":   filepath.Join(dir, "run.har"),
			}
			args := []string{"run", flow, "--server", "api=" + srv.URL, "--no-color",
				"--input", "password=pw-Input-Secret-111", "--input", "apiToken=hdr-Secret-333",
				"--input", "note=lit Secret/222&x", "--secret", "lit Secret/222&x", "--mask-header", "x-session"}
			for kind, path := range reports {
				args = append(args, "--report", kind+"="+path)
			}
			args = append(args, extra...)
			code, stdout, stderr := runCLI(args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (the update step fails)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			streams := map[string]string{"stdout": stdout, "stderr": stderr}
			for kind, path := range reports {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%s report not written: %v", kind, err)
				}
				streams[kind+" report"] = string(data)
			}
			for where, text := range streams {
				for what, secret := range planted {
					// The secret as it is, as it is encoded in URLs, and its
					// start where a value was cut short.
					forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret),
						strings.ReplaceAll(url.QueryEscape(secret), "+", "%20"), secret[:len(secret)-1] + "…"}
					for _, form := range forms {
						if strings.Contains(text, form) {
							t.Errorf("%s leaks the %s as %q:\n%s", where, what, form, text)
						}
					}
				}
			}
			// The masking happened where the secrets were, not because
			// nothing was printed.
			har := streams["har report"]
			for _, want := range []string{`"value": "Bearer ***"`, `"name": "X-Session"`, `"value": "***"`, `auth=Bearer ***`} {
				if !strings.Contains(har, want) {
					t.Errorf("HAR lacks %s:\n%s", want, har)
				}
			}
			if !strings.Contains(streams["junit report"], "<failure") || !strings.Contains(streams["junit report"], "***…") {
				t.Errorf("JUnit report lacks the masked failure:\n%s", streams["junit report"])
			}
			var rep struct {
				Workflows []struct {
					Inputs  map[string]any
					Outputs map[string]any
				}
			}
			if err := json.Unmarshal([]byte(streams["json report"]), &rep); err != nil || len(rep.Workflows) != 1 {
				t.Fatalf("JSON report: %v", err)
			}
			if w := rep.Workflows[0]; w.Inputs["password"] != "***" || w.Inputs["note"] != "***" || w.Outputs["token"] != "***" {
				t.Errorf("JSON report inputs/outputs not masked: %v %v", w.Inputs, w.Outputs)
			}
			if strings.Contains(name, "verbose") {
				progress := stdout
				if strings.HasPrefix(name, "json") {
					progress = stderr
				}
				for _, want := range []string{"> Authorization: Bearer ***", "> X-Api-Key: ***", "< Set-Cookie: sid=***; Path=/; HttpOnly", `"token":"***"`} {
					if !strings.Contains(progress, want) {
						t.Errorf("verbose output lacks %q:\n%s", want, progress)
					}
				}
			}
		})
	}
}
