package report

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/runner"
)

func TestLearner(t *testing.T) {
	doc := &arazzo.Document{Workflows: []*arazzo.Workflow{{
		WorkflowID: "w",
		Parameters: []*arazzo.Parameter{{Name: "X-Tenant-Key", In: arazzo.InHeader, Value: "$inputs.creds.tenantKey"}},
		Steps: []*arazzo.Step{
			{StepID: "login"},
			{StepID: "use", Parameters: []*arazzo.Parameter{
				{Name: "Authorization", In: arazzo.InHeader, Value: "Bearer {$steps.login.outputs.token}"},
				{Name: "sid", In: arazzo.InCookie, Value: "$inputs.session"},
				{Name: "q", In: arazzo.InQuery, Value: "$inputs.public"},
			}},
		},
	}}}
	m := NewMasker()
	m.AddHeaders("x-tenant-key")
	l := NewLearner(m, doc, func(string) []string { return []string{"pin"} })
	if !l.SensitiveStep("w", "login") || l.SensitiveStep("w", "use") {
		t.Error("SensitiveStep: only login returns a secret")
	}
	l.Observe(runner.WorkflowStarted{WorkflowID: "w", Inputs: map[string]any{
		"pin": float64(987654), "session": "sess-abcdef", "public": "public-text",
		"creds": map[string]any{"tenantKey": "tenant-key-1"}}})
	l.Observe(runner.StepFinished{WorkflowID: "w", Result: &runner.StepResult{StepID: "login",
		Outputs: map[string]any{"token": "issued-token-1", "user": "alice-the-user"}}})
	l.Observe(runner.StepAttempt{WorkflowID: "w", StepID: "use", Request: &runner.Request{Method: "GET",
		URL: "http://bob:url-pass-1@api/x", Header: http.Header{"X-Api-Key": {"api-key-1"}}}})
	got := m.String("987654 sess-abcdef tenant-key-1 issued-token-1 url-pass-1 api-key-1 | public-text alice-the-user")
	if got != "*** *** *** *** *** *** | public-text alice-the-user" {
		t.Errorf("learned: %q", got)
	}
	if strings.Contains(m.String("x"), Mask) {
		t.Error("masked too much")
	}
}
