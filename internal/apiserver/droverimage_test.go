package apiserver

import "testing"

func TestIsDroverImage(t *testing.T) {
	tests := map[string]bool{
		"drover":                          true,
		"drover:0.1.0":                    true,
		"registry.local:5000/ops/drover":  true,
		"ops/drover@sha256:0123456789abc": true,
		"registry.local:5000/drover:1":    true,
		"busybox":                         false,
		"drover-tools":                    false,
		"droverx/app:drover":              false,
		"sha256:0123456789abcdef":         false,
	}
	for ref, want := range tests {
		if got := isDroverImage(ref); got != want {
			t.Errorf("isDroverImage(%q) = %v, want %v", ref, got, want)
		}
	}
}
