package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.example.com/v1/items":                              "https://api.example.com/v1/items",
		"https://u:p4ss@api.example.com/v1/items?api_key=s3cr3t&page=2": "https://u:***@api.example.com/v1/items?api_key=***&page=***",
		"http://127.0.0.1:8080/x?token=a%20b#frag":                      "http://127.0.0.1:8080/x?token=***",
		"https://user@host/p":                                           "https://user@host/p",
		"https://host/p?flag":                                           "https://host/p?flag=***",
		"://bad":                                                        "***",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
