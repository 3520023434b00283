module example.com/mono

go 1.22

require (
	example.com/bonly v1.0.0
	example.com/used v1.0.0
)
