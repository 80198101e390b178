{
	"patcher" : {
		"fileversion" : 1,
		"appversion" : {
			"major" : 8,
			"minor" : 2,
			"revision" : 0,
			"architecture" : "x64",
			"modernui" : 1
		},
		"classnamespace" : "box",
		"rect" : [ 100.0, 100.0, 760.0, 760.0 ],
		"bglocked" : 0,
		"openinpresentation" : 0,
		"default_fontsize" : 12.0,
		"default_fontface" : 0,
		"default_fontname" : "Arial",
		"gridonopen" : 1,
		"gridsize" : [ 15.0, 15.0 ],
		"gridsnaponopen" : 1,
		"objectsnaponopen" : 1,
		"statusbarvisible" : 2,
		"toolbarvisible" : 1,
		"boxanimatetime" : 200,
		"enablehscroll" : 1,
		"enablevscroll" : 1,
		"devicewidth" : 0.0,
		"description" : "",
		"digest" : "",
		"tags" : "",
		"style" : "",
		"subpatcher_template" : "",
		"showrootpatcherontab" : 0,
		"showontab" : 0,
		"boxes" : [ {
				"box" : {
					"id" : "obj-1",
					"maxclass" : "newobj",
					"numinlets" : 0,
					"numoutlets" : 0,
					"patcher" : {
						"fileversion" : 1,
						"appversion" : {
							"major" : 8,
							"minor" : 2,
							"revision" : 0,
							"architecture" : "x64",
							"modernui" : 1
						},
						"classnamespace" : "box",
						"rect" : [ 0.0, 26.0, 760.0, 734.0 ],
						"bglocked" : 0,
						"openinpresentation" : 0,
						"default_fontsize" : 12.0,
						"default_fontface" : 0,
						"default_fontname" : "Arial",
						"gridonopen" : 1,
						"gridsize" : [ 15.0, 15.0 ],
						"gridsnaponopen" : 1,
						"objectsnaponopen" : 1,
						"statusbarvisible" : 2,
						"toolbarvisible" : 1,
						"boxanimatetime" : 200,
						"enablehscroll" : 1,
						"enablevscroll" : 1,
						"devicewidth" : 0.0,
						"description" : "",
						"digest" : "",
						"tags" : "",
						"style" : "",
						"subpatcher_template" : "",
						"showontab" : 1,
						"boxes" : [ {
								"box" : {
									"fontface" : 1,
									"fontsize" : 30.0,
									"id" : "obj-1",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 10.0, 73.0, 42.0 ],
									"text" : "pyrus.usb"
								}
							}, {
								"box" : {
									"fontsize" : 14.0,
									"id" : "obj-2",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 55.0, 700.0, 23.0 ],
									"text" : "A USB MIDI or HID controller in the patch"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 85.0, 720.0, 49.0 ],
									"text" : "Opens a device plugged into this machine, or one redirected from another machine with usbredir (usbredirect), and sends its events out of the left outlet. No hardware? Click demo: a built-in virtual device plays a short phrase."
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 320.0, 79.0, 22.0 ],
									"text" : "pyrus.usb"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 140.0, 44.0, 22.0 ],
									"text" : "demo"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 71.0, 140.0, 65.0, 22.0 ],
									"text" : "devices"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 148.0, 140.0, 114.0, 22.0 ],
									"text" : "open 1d6b:0104"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 274.0, 140.0, 121.0, 22.0 ],
									"text" : "open 4617 28793"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 407.0, 140.0, 128.0, 22.0 ],
									"text" : "open nanoKONTROL"
								}
							}, {
								"box" : {
									"id" : "obj-10",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 547.0, 140.0, 51.0, 22.0 ],
									"text" : "close"
								}
							}, {
								"box" : {
									"id" : "obj-11",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 170.0, 191.0, 22.0 ],
									"text" : "connect 192.168.1.20 4000"
								}
							}, {
								"box" : {
									"id" : "obj-12",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 218.0, 170.0, 93.0, 22.0 ],
									"text" : "listen 4000"
								}
							}, {
								"box" : {
									"id" : "obj-13",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 323.0, 170.0, 149.0, 22.0 ],
									"text" : "listen 0.0.0.0 4000"
								}
							}, {
								"box" : {
									"id" : "obj-14",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 200.0, 700.0, 21.0 ],
									"text" : "MIDI out: the same words as the events, sent to the device (LED feedback on controllers)"
								}
							}, {
								"box" : {
									"id" : "obj-15",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 225.0, 107.0, 22.0 ],
									"text" : "note 1 60 100"
								}
							}, {
								"box" : {
									"id" : "obj-16",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 134.0, 225.0, 86.0, 22.0 ],
									"text" : "cc 1 7 127"
								}
							}, {
								"box" : {
									"id" : "obj-17",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 232.0, 225.0, 93.0, 22.0 ],
									"text" : "program 1 5"
								}
							}, {
								"box" : {
									"id" : "obj-18",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 337.0, 225.0, 107.0, 22.0 ],
									"text" : "pressure 1 64"
								}
							}, {
								"box" : {
									"id" : "obj-19",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 456.0, 225.0, 135.0, 22.0 ],
									"text" : "polytouch 1 60 64"
								}
							}, {
								"box" : {
									"id" : "obj-20",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 603.0, 225.0, 100.0, 22.0 ],
									"text" : "bend 1 -8192"
								}
							}, {
								"box" : {
									"id" : "obj-21",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 255.0, 191.0, 22.0 ],
									"text" : "sysex 240 126 127 6 1 247"
								}
							}, {
								"box" : {
									"id" : "obj-22",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 218.0, 255.0, 86.0, 22.0 ],
									"text" : "songpos 16"
								}
							}, {
								"box" : {
									"id" : "obj-23",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 316.0, 255.0, 79.0, 22.0 ],
									"text" : "songsel 2"
								}
							}, {
								"box" : {
									"id" : "obj-24",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 407.0, 255.0, 58.0, 22.0 ],
									"text" : "mtc 17"
								}
							}, {
								"box" : {
									"id" : "obj-25",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 477.0, 255.0, 149.0, 22.0 ],
									"text" : "note 1 60 0 cable 1"
								}
							}, {
								"box" : {
									"id" : "obj-26",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 285.0, 44.0, 22.0 ],
									"text" : "tune"
								}
							}, {
								"box" : {
									"id" : "obj-27",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 71.0, 285.0, 51.0, 22.0 ],
									"text" : "clock"
								}
							}, {
								"box" : {
									"id" : "obj-28",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 134.0, 285.0, 51.0, 22.0 ],
									"text" : "start"
								}
							}, {
								"box" : {
									"id" : "obj-29",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 197.0, 285.0, 72.0, 22.0 ],
									"text" : "continue"
								}
							}, {
								"box" : {
									"id" : "obj-30",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 281.0, 285.0, 44.0, 22.0 ],
									"text" : "stop"
								}
							}, {
								"box" : {
									"id" : "obj-31",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 337.0, 285.0, 58.0, 22.0 ],
									"text" : "active"
								}
							}, {
								"box" : {
									"id" : "obj-32",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 407.0, 285.0, 51.0, 22.0 ],
									"text" : "reset"
								}
							}, {
								"box" : {
									"id" : "obj-33",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 360.0, 79.0, 22.0 ],
									"text" : "print usb"
								}
							}, {
								"box" : {
									"id" : "obj-34",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 215.0, 360.0, 128.0, 22.0 ],
									"text" : "print usb-status"
								}
							}, {
								"box" : {
									"id" : "obj-35",
									"maxclass" : "newobj",
									"numinlets" : 2,
									"numoutlets" : 4,
									"outlettype" : [ "", "", "", "" ],
									"patching_rect" : [ 15.0, 395.0, 135.0, 22.0 ],
									"text" : "route note cc hid"
								}
							}, {
								"box" : {
									"id" : "obj-36",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 3,
									"outlettype" : [ "int", "int", "int" ],
									"patching_rect" : [ 15.0, 430.0, 100.0, 22.0 ],
									"text" : "unpack 0 0 0"
								}
							}, {
								"box" : {
									"id" : "obj-37",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 465.0, 90.0, 22.0 ],
									"text" : "print channel"
								}
							}, {
								"box" : {
									"id" : "obj-38",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 110.0, 465.0, 90.0, 22.0 ],
									"text" : "print pitch"
								}
							}, {
								"box" : {
									"id" : "obj-39",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 205.0, 465.0, 90.0, 22.0 ],
									"text" : "print velocity"
								}
							}, {
								"box" : {
									"id" : "obj-40",
									"linecount" : 4,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 500.0, 720.0, 63.0 ],
									"text" : "Events (left outlet): note CH PITCH VEL (a note-off is velocity 0), cc CH NUM VAL, program CH N, pressure CH V, polytouch CH PITCH V, bend CH V (-8192..8191), sysex B... (F0 and F7 included), songpos N, songsel N, mtc B, tune, clock, start, continue, stop, active, reset, hid PAGE USAGE VALUE; an event from a cable other than 0 ends with cable N."
								}
							}, {
								"box" : {
									"id" : "obj-41",
									"linecount" : 5,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 580.0, 720.0, 77.0 ],
									"text" : "Status (right outlet): connected VID PID NAME..., disconnected, closed, error TEXT..., dropped N (events lost to a full queue), devices N after the device list. Targets: open VID PID (decimal) or VID:PID (hex), open NAME (part of the product name), open BUS-ADDR; connect HOST PORT to a usbredirect --as; listen [HOST] PORT for a usbredirect --to (loopback unless HOST is given: usbredir has no authentication). Opening, closing and sending happen on the object's own thread: Max never waits for USB or the network."
								}
							} ],
						"lines" : [ {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-5", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-6", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-7", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-8", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-9", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-10", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-11", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-12", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-13", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-15", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-16", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-17", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-18", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-19", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-20", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-21", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-22", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-23", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-24", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-25", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-26", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-27", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-28", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-29", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-30", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-31", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-4", 0 ],
									"source" : [ "obj-32", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-33", 0 ],
									"source" : [ "obj-4", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-34", 0 ],
									"source" : [ "obj-4", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-35", 0 ],
									"source" : [ "obj-4", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-36", 0 ],
									"source" : [ "obj-35", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-37", 0 ],
									"source" : [ "obj-36", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-38", 0 ],
									"source" : [ "obj-36", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-39", 0 ],
									"source" : [ "obj-36", 2 ]
								}
							} ]
					},
					"patching_rect" : [ 20.0, 20.0, 65.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p basic"
				}
			}, {
				"box" : {
					"id" : "obj-2",
					"maxclass" : "newobj",
					"numinlets" : 0,
					"numoutlets" : 0,
					"patcher" : {
						"fileversion" : 1,
						"appversion" : {
							"major" : 8,
							"minor" : 2,
							"revision" : 0,
							"architecture" : "x64",
							"modernui" : 1
						},
						"classnamespace" : "box",
						"rect" : [ 0.0, 26.0, 760.0, 734.0 ],
						"bglocked" : 0,
						"openinpresentation" : 0,
						"default_fontsize" : 12.0,
						"default_fontface" : 0,
						"default_fontname" : "Arial",
						"gridonopen" : 1,
						"gridsize" : [ 15.0, 15.0 ],
						"gridsnaponopen" : 1,
						"objectsnaponopen" : 1,
						"statusbarvisible" : 2,
						"toolbarvisible" : 1,
						"boxanimatetime" : 200,
						"enablehscroll" : 1,
						"enablevscroll" : 1,
						"devicewidth" : 0.0,
						"description" : "",
						"digest" : "",
						"tags" : "",
						"style" : "",
						"subpatcher_template" : "",
						"showontab" : 1,
						"boxes" : [ {
								"box" : {
									"id" : "obj-1",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 10.0, 720.0, 49.0 ],
									"text" : "Attributes: @raw 1 also sends raw B... (the MIDI bytes, for [midiparse]) and report B... (whole HID reports); @reconnect 1 opens a device pulled out, or a peer gone, again when it returns (tried every second). The same names are messages."
								}
							}, {
								"box" : {
									"id" : "obj-2",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 120.0, 219.0, 22.0 ],
									"text" : "pyrus.usb @reconnect 1 @raw 0"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 85.0, 51.0, 22.0 ],
									"text" : "raw 1"
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 78.0, 85.0, 51.0, 22.0 ],
									"text" : "raw 0"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 141.0, 85.0, 93.0, 22.0 ],
									"text" : "reconnect 1"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 246.0, 85.0, 93.0, 22.0 ],
									"text" : "reconnect 0"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 351.0, 85.0, 44.0, 22.0 ],
									"text" : "demo"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 160.0, 114.0, 22.0 ],
									"text" : "print usb-attr"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 215.0, 160.0, 163.0, 22.0 ],
									"text" : "print usb-attr-status"
								}
							} ],
						"lines" : [ {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-3", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-4", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-5", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-6", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-7", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-8", 0 ],
									"source" : [ "obj-2", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-9", 0 ],
									"source" : [ "obj-2", 1 ]
								}
							} ]
					},
					"patching_rect" : [ 130.0, 20.0, 100.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p attributes"
				}
			}, {
				"box" : {
					"id" : "obj-3",
					"maxclass" : "newobj",
					"numinlets" : 0,
					"numoutlets" : 0,
					"patcher" : {
						"fileversion" : 1,
						"appversion" : {
							"major" : 8,
							"minor" : 2,
							"revision" : 0,
							"architecture" : "x64",
							"modernui" : 1
						},
						"classnamespace" : "box",
						"rect" : [ 0.0, 26.0, 760.0, 734.0 ],
						"bglocked" : 0,
						"openinpresentation" : 0,
						"default_fontsize" : 12.0,
						"default_fontface" : 0,
						"default_fontname" : "Arial",
						"gridonopen" : 1,
						"gridsize" : [ 15.0, 15.0 ],
						"gridsnaponopen" : 1,
						"objectsnaponopen" : 1,
						"statusbarvisible" : 2,
						"toolbarvisible" : 1,
						"boxanimatetime" : 200,
						"enablehscroll" : 1,
						"enablevscroll" : 1,
						"devicewidth" : 0.0,
						"description" : "",
						"digest" : "",
						"tags" : "",
						"style" : "",
						"subpatcher_template" : "",
						"showontab" : 1,
						"boxes" : [ {
								"box" : {
									"id" : "obj-1",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 10.0, 720.0, 49.0 ],
									"text" : "From Python: a script opens a device and gets its events in a callback. Here a class from scripts/examples.py does it with the demo device: bang opens it, its notes leave the left outlet as PITCH VELOCITY, other events the middle one."
								}
							}, {
								"box" : {
									"id" : "obj-2",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 3,
									"outlettype" : [ "", "", "" ],
									"patching_rect" : [ 15.0, 120.0, 247.0, 22.0 ],
									"text" : "pyrus examples.UsbNotes @detach 1"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 85.0, 44.0, 22.0 ],
									"text" : "bang"
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 71.0, 85.0, 107.0, 22.0 ],
									"text" : "note 1 72 100"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 190.0, 85.0, 51.0, 22.0 ],
									"text" : "close"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 160.0, 142.0, 22.0 ],
									"text" : "print usb-py-notes"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 185.0, 160.0, 149.0, 22.0 ],
									"text" : "print usb-py-events"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 355.0, 160.0, 149.0, 22.0 ],
									"text" : "print usb-py-status"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"linecount" : 6,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 200.0, 720.0, 91.0 ],
									"text" : "dev = pyrus.usb.demo(callback), pyrus.usb.open(SPEC, callback), pyrus.usb.connect(HOST, PORT, callback) or pyrus.usb.listen(PORT, callback, host=...), with raw=True or reconnect=True if wanted. The callback gets each event as pyrus.Message(selector, *args), status events included; it runs where the object's calls run (the thread that delivered the message with detach 0, a worker with detach 1 or 2), one event after another. What it returns (unless None) leaves outlet 0. dev.send('note', 1, 60, 100) sends MIDI, dev.close() closes, and deleting the object closes its devices."
								}
							} ],
						"lines" : [ {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-3", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-4", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-5", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-6", 0 ],
									"source" : [ "obj-2", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-7", 0 ],
									"source" : [ "obj-2", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-8", 0 ],
									"source" : [ "obj-2", 2 ]
								}
							} ]
					},
					"patching_rect" : [ 240.0, 20.0, 72.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p python"
				}
			} ],
		"lines" : [  ]
	}
}
