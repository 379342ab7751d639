package engine_test

import (
	"testing"

	"github.com/docker/docker/api/types/container"

	"drover/internal/engine"
)

func TestReservation(t *testing.T) {
	tests := []struct {
		name              string
		hc                *container.HostConfig
		wantCPUs, wantMem int64
	}{
		{"no host config", nil, 0, 0},
		{"nothing reserved", &container.HostConfig{}, 0, 0},
		{"CpuShares are whole cores", &container.HostConfig{Resources: container.Resources{CPUShares: 2}}, 2e9, 0},
		{"NanoCPUs as given", &container.HostConfig{Resources: container.Resources{NanoCPUs: 1.5e9}}, 1.5e9, 0},
		{"CpuShares and NanoCPUs add up", &container.HostConfig{Resources: container.Resources{CPUShares: 1, NanoCPUs: 5e8}}, 1.5e9, 0},
		{"memory", &container.HostConfig{Resources: container.Resources{Memory: 256 << 20}}, 0, 256 << 20},
		{"memory reservation is not the limit", &container.HostConfig{Resources: container.Resources{MemoryReservation: 128 << 20}}, 0, 0},
		{"everything", &container.HostConfig{Resources: container.Resources{CPUShares: 1, NanoCPUs: 2.5e8, Memory: 1 << 30}}, 1.25e9, 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpus, mem := engine.Reservation(tt.hc)
			if cpus != tt.wantCPUs || mem != tt.wantMem {
				t.Errorf("Reservation = %d nanoCPUs, %d bytes; want %d, %d", cpus, mem, tt.wantCPUs, tt.wantMem)
			}
		})
	}
}

func TestStateName(t *testing.T) {
	if got := (&engine.State{}).Name("10.0.0.1:2375"); got != "10.0.0.1:2375" {
		t.Errorf("Name of an engine never heard from = %q, want its address", got)
	}
	s := &engine.State{}
	s.Info.Name = "node-1"
	if got := s.Name("10.0.0.1:2375"); got != "node-1" {
		t.Errorf("Name = %q, want the engine's name node-1", got)
	}
}
