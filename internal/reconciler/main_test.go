package reconciler

import (
	"testing"

	"drover/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.Main(m, "drover/internal/reconciler.", "drover/internal/engine.")
}
