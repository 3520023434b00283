module example.com/svc

go 1.22

require example.com/shared v0.0.0

replace example.com/shared => ../shared
