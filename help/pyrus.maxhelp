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
									"patching_rect" : [ 15.0, 10.0, 45.0, 42.0 ],
									"text" : "pyrus"
								}
							}, {
								"box" : {
									"fontsize" : 14.0,
									"id" : "obj-2",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 55.0, 700.0, 23.0 ],
									"text" : "Python modules, code and functions in a patch"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 85.0, 720.0, 49.0 ],
									"text" : "Each [pyrus] has its own Python namespace. Results leave the left outlet; failures leave the right (status) outlet as error TYPE MESSAGE..., with the traceback in the Max Console, where print() and warnings go too. The object keeps working after any error. Double-click the object to open its script."
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 330.0, 51.0, 22.0 ],
									"text" : "pyrus"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 150.0, 93.0, 22.0 ],
									"text" : "import math"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 120.0, 150.0, 128.0, 22.0 ],
									"text" : "eval math.pi * 2"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 260.0, 150.0, 93.0, 22.0 ],
									"text" : "exec x = 42"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 365.0, 150.0, 86.0, 22.0 ],
									"text" : "eval x + 1"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 180.0, 149.0, 22.0 ],
									"text" : "call math.hypot 3 4"
								}
							}, {
								"box" : {
									"id" : "obj-10",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 176.0, 180.0, 205.0, 22.0 ],
									"text" : "load ../scripts/examples.py"
								}
							}, {
								"box" : {
									"id" : "obj-11",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 393.0, 180.0, 114.0, 22.0 ],
									"text" : "call greet max"
								}
							}, {
								"box" : {
									"id" : "obj-12",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 210.0, 170.0, 22.0 ],
									"text" : "eval [1 \\, 'two' \\, 3.5]"
								}
							}, {
								"box" : {
									"id" : "obj-13",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 197.0, 210.0, 121.0, 22.0 ],
									"text" : "reload examples"
								}
							}, {
								"box" : {
									"id" : "obj-14",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 330.0, 210.0, 121.0, 22.0 ],
									"text" : "import examples"
								}
							}, {
								"box" : {
									"id" : "obj-15",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 240.0, 86.0, 22.0 ],
									"text" : "eval 1 + 2"
								}
							}, {
								"box" : {
									"id" : "obj-16",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 113.0, 240.0, 100.0, 22.0 ],
									"text" : "eval 2.5 * 2"
								}
							}, {
								"box" : {
									"id" : "obj-17",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 225.0, 240.0, 93.0, 22.0 ],
									"text" : "eval 2. / 4"
								}
							}, {
								"box" : {
									"id" : "obj-18",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 270.0, 128.0, 22.0 ],
									"text" : "pyrus eval 6 * 7"
								}
							}, {
								"box" : {
									"id" : "obj-19",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 155.0, 270.0, 135.0, 22.0 ],
									"text" : "exec def broken(:"
								}
							}, {
								"box" : {
									"id" : "obj-20",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 302.0, 270.0, 135.0, 22.0 ],
									"text" : "eval no_such_name"
								}
							}, {
								"box" : {
									"id" : "obj-21",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 375.0, 100.0, 22.0 ],
									"text" : "print result"
								}
							}, {
								"box" : {
									"id" : "obj-22",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 195.0, 375.0, 100.0, 22.0 ],
									"text" : "print status"
								}
							}, {
								"box" : {
									"id" : "obj-23",
									"linecount" : 5,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 530.0, 240.0, 210.0, 77.0 ],
									"text" : "Max keeps ints and floats apart: eval 1 + 2 gives int 3, eval 2.5 * 2 gives float 5.0; a float stays a float literal in code (2. / 4 is 0.5)."
								}
							}, {
								"box" : {
									"id" : "obj-24",
									"linecount" : 5,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 530.0, 150.0, 210.0, 77.0 ],
									"text" : "Type \\, for a comma that belongs to the Python code: a bare comma separates messages in a message box. The same goes for semicolons and $1."
								}
							}, {
								"box" : {
									"fontface" : 1,
									"fontsize" : 14.0,
									"id" : "obj-25",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 415.0, 66.0, 23.0 ],
									"text" : "Messages"
								}
							}, {
								"box" : {
									"id" : "obj-26",
									"linecount" : 7,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 440.0, 720.0, 105.0 ],
									"text" : "import MODULE - import it into the object's namespace\neval EXPR... - evaluate an expression; the result leaves the left outlet\nexec CODE... - run statements\nload FILE.py - run a file in the namespace (relative to the patcher's folder)\ncall NAME ARGS... - call a function of the namespace (or a dotted name); the result leaves the left outlet\nreload [MODULE...] - re-import the target's module (or the named ones)\npyrus WORD ARGS... - the object's own command WORD, even when a class takes WORD"
								}
							}, {
								"box" : {
									"id" : "obj-27",
									"linecount" : 2,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 580.0, 720.0, 35.0 ],
									"text" : "Outlets: left, results (int, float, symbol, list or any message); right, status: error TYPE MESSAGE... for every failure, and for detached calls busy 1 / busy 0, dropped N, replaced N, stopped (see the detach tab)."
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
									"source" : [ "obj-14", 0 ]
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
									"destination" : [ "obj-21", 0 ],
									"source" : [ "obj-4", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-22", 0 ],
									"source" : [ "obj-4", 1 ]
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
									"text" : "Function mode: [pyrus MODULE.FUNCTION ARGS...] calls the function with every bang, int, float, list or other message; ARGS are bound in front, like functools.partial. Dotted names resolve as in Python: the longest importable module, then attributes."
								}
							}, {
								"box" : {
									"id" : "obj-2",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 110.0, 142.0, 22.0 ],
									"text" : "pyrus operator.add"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 75.0, 37.0, 22.0 ],
									"text" : "2 3"
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 64.0, 75.0, 44.0, 22.0 ],
									"text" : "2. 3"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 145.0, 79.0, 22.0 ],
									"text" : "print add"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 165.0, 145.0, 128.0, 22.0 ],
									"text" : "print add-status"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 200.0, 75.0, 300.0, 21.0 ],
									"text" : "2 3 gives int 5, 2. 3 gives float 5.0"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 230.0, 163.0, 22.0 ],
									"text" : "pyrus examples.add 10"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"maxclass" : "number",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "bang" ],
									"parameter_enable" : 0,
									"patching_rect" : [ 15.0, 195.0, 50.0, 22.0 ]
								}
							}, {
								"box" : {
									"id" : "obj-10",
									"maxclass" : "flonum",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "bang" ],
									"parameter_enable" : 0,
									"patching_rect" : [ 75.0, 195.0, 50.0, 22.0 ]
								}
							}, {
								"box" : {
									"id" : "obj-11",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 265.0, 93.0, 22.0 ],
									"text" : "print add10"
								}
							}, {
								"box" : {
									"id" : "obj-12",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 165.0, 265.0, 142.0, 22.0 ],
									"text" : "print add10-status"
								}
							}, {
								"box" : {
									"id" : "obj-13",
									"linecount" : 2,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 200.0, 195.0, 320.0, 35.0 ],
									"text" : "a number box sends int (10 + 5 is int 15), a flonum float"
								}
							}, {
								"box" : {
									"id" : "obj-14",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 350.0, 156.0, 22.0 ],
									"text" : "pyrus examples.greet"
								}
							}, {
								"box" : {
									"id" : "obj-15",
									"maxclass" : "button",
									"numinlets" : 1,
									"numoutlets" : 1,
									"outlettype" : [ "bang" ],
									"parameter_enable" : 0,
									"patching_rect" : [ 15.0, 315.0, 24.0, 24.0 ]
								}
							}, {
								"box" : {
									"id" : "obj-16",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 50.0, 315.0, 37.0, 22.0 ],
									"text" : "max"
								}
							}, {
								"box" : {
									"id" : "obj-17",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 385.0, 93.0, 22.0 ],
									"text" : "print greet"
								}
							}, {
								"box" : {
									"id" : "obj-18",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 165.0, 385.0, 142.0, 22.0 ],
									"text" : "print greet-status"
								}
							}, {
								"box" : {
									"id" : "obj-19",
									"linecount" : 2,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 250.0, 315.0, 480.0, 35.0 ],
									"text" : "bang calls greet(); max calls greet('max'): a message's selector is its first argument"
								}
							}, {
								"box" : {
									"id" : "obj-20",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 470.0, 163.0, 22.0 ],
									"text" : "pyrus examples.spread"
								}
							}, {
								"box" : {
									"id" : "obj-21",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 435.0, 30.0, 22.0 ],
									"text" : "4"
								}
							}, {
								"box" : {
									"id" : "obj-22",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 505.0, 100.0, 22.0 ],
									"text" : "print spread"
								}
							}, {
								"box" : {
									"id" : "obj-23",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 165.0, 505.0, 149.0, 22.0 ],
									"text" : "print spread-status"
								}
							}, {
								"box" : {
									"id" : "obj-24",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 400.0, 470.0, 156.0, 22.0 ],
									"text" : "pyrus examples.chord"
								}
							}, {
								"box" : {
									"id" : "obj-25",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 400.0, 435.0, 30.0, 22.0 ],
									"text" : "60"
								}
							}, {
								"box" : {
									"id" : "obj-26",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 400.0, 505.0, 93.0, 22.0 ],
									"text" : "print chord"
								}
							}, {
								"box" : {
									"id" : "obj-27",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 550.0, 505.0, 142.0, 22.0 ],
									"text" : "print chord-status"
								}
							}, {
								"box" : {
									"id" : "obj-28",
									"maxclass" : "newobj",
									"numinlets" : 0,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 400.0, 540.0, 142.0, 22.0 ],
									"text" : "r pyrus-help-chord"
								}
							}, {
								"box" : {
									"id" : "obj-29",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 400.0, 570.0, 128.0, 22.0 ],
									"text" : "print chord-send"
								}
							}, {
								"box" : {
									"id" : "obj-30",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 400.0, 380.0, 340.0, 49.0 ],
									"text" : "examples.chord sends several results with pyrus.out(), a message to a [receive] with pyrus.send(), and returns pyrus.Message('set', ...)"
								}
							}, {
								"box" : {
									"id" : "obj-31",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 590.0, 142.0, 22.0 ],
									"text" : "pyrus os.path.join"
								}
							}, {
								"box" : {
									"id" : "obj-32",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 555.0, 72.0, 22.0 ],
									"text" : "list a b"
								}
							}, {
								"box" : {
									"id" : "obj-33",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 625.0, 86.0, 22.0 ],
									"text" : "print join"
								}
							}, {
								"box" : {
									"id" : "obj-34",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 115.0, 625.0, 135.0, 22.0 ],
									"text" : "print join-status"
								}
							}, {
								"box" : {
									"id" : "obj-35",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 250.0, 590.0, 149.0, 22.0 ],
									"text" : "pyrus examples.fail"
								}
							}, {
								"box" : {
									"id" : "obj-36",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 250.0, 555.0, 30.0, 22.0 ],
									"text" : "1"
								}
							}, {
								"box" : {
									"id" : "obj-37",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 250.0, 625.0, 86.0, 22.0 ],
									"text" : "print fail"
								}
							}, {
								"box" : {
									"id" : "obj-38",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 340.0, 625.0, 135.0, 22.0 ],
									"text" : "print fail-status"
								}
							}, {
								"box" : {
									"id" : "obj-39",
									"linecount" : 2,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 660.0, 720.0, 35.0 ],
									"text" : "examples.fail raises: error ZeroDivisionError division by zero leaves the status outlet, the traceback goes to the Max Console, and the object keeps working."
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
									"destination" : [ "obj-5", 0 ],
									"source" : [ "obj-2", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-6", 0 ],
									"source" : [ "obj-2", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-8", 0 ],
									"source" : [ "obj-9", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-8", 0 ],
									"source" : [ "obj-10", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-11", 0 ],
									"source" : [ "obj-8", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-12", 0 ],
									"source" : [ "obj-8", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-14", 0 ],
									"source" : [ "obj-15", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-14", 0 ],
									"source" : [ "obj-16", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-17", 0 ],
									"source" : [ "obj-14", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-18", 0 ],
									"source" : [ "obj-14", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-20", 0 ],
									"source" : [ "obj-21", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-22", 0 ],
									"source" : [ "obj-20", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-23", 0 ],
									"source" : [ "obj-20", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-24", 0 ],
									"source" : [ "obj-25", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-26", 0 ],
									"source" : [ "obj-24", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-27", 0 ],
									"source" : [ "obj-24", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-29", 0 ],
									"source" : [ "obj-28", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-31", 0 ],
									"source" : [ "obj-32", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-33", 0 ],
									"source" : [ "obj-31", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-34", 0 ],
									"source" : [ "obj-31", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-35", 0 ],
									"source" : [ "obj-36", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-37", 0 ],
									"source" : [ "obj-35", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-38", 0 ],
									"source" : [ "obj-35", 1 ]
								}
							} ]
					},
					"patching_rect" : [ 130.0, 20.0, 93.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p functions"
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
									"linecount" : 4,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 10.0, 720.0, 63.0 ],
									"text" : "Class mode: [pyrus MODULE.CLASS ARGS...] makes an instance of a pyrus.Object subclass, with the inlets and outlets the class declares (a status outlet follows). A message at inlet N calls in_N_bang, in_N_int, in_N_float, in_N_symbol, in_N_list, in_N_SELECTOR or in_N_anything(selector, *args). Edit scripts/counter.py while this runs: with watch 1 (or @watch 1) a save reloads it, or send reload; the count stays, the new code takes over."
								}
							}, {
								"box" : {
									"id" : "obj-2",
									"maxclass" : "newobj",
									"numinlets" : 2,
									"numoutlets" : 3,
									"outlettype" : [ "", "", "" ],
									"patching_rect" : [ 15.0, 190.0, 184.0, 22.0 ],
									"text" : "pyrus counter.Counter 10"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 120.0, 44.0, 22.0 ],
									"text" : "bang"
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 71.0, 120.0, 51.0, 22.0 ],
									"text" : "reset"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 134.0, 120.0, 65.0, 22.0 ],
									"text" : "reset 5"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 211.0, 120.0, 58.0, 22.0 ],
									"text" : "reload"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 281.0, 120.0, 65.0, 22.0 ],
									"text" : "watch 1"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 358.0, 120.0, 65.0, 22.0 ],
									"text" : "watch 0"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 435.0, 120.0, 44.0, 22.0 ],
									"text" : "open"
								}
							}, {
								"box" : {
									"id" : "obj-10",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 150.0, 86.0, 22.0 ],
									"text" : "pyrus stop"
								}
							}, {
								"box" : {
									"id" : "obj-11",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 113.0, 150.0, 44.0, 22.0 ],
									"text" : "stop"
								}
							}, {
								"box" : {
									"id" : "obj-12",
									"maxclass" : "number",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "bang" ],
									"parameter_enable" : 0,
									"patching_rect" : [ 300.0, 150.0, 50.0, 22.0 ]
								}
							}, {
								"box" : {
									"id" : "obj-13",
									"maxclass" : "flonum",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "bang" ],
									"parameter_enable" : 0,
									"patching_rect" : [ 360.0, 150.0, 50.0, 22.0 ]
								}
							}, {
								"box" : {
									"id" : "obj-14",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 420.0, 150.0, 220.0, 21.0 ],
									"text" : "the right inlet sets the step"
								}
							}, {
								"box" : {
									"id" : "obj-15",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 240.0, 93.0, 22.0 ],
									"text" : "print count"
								}
							}, {
								"box" : {
									"id" : "obj-16",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 165.0, 240.0, 149.0, 22.0 ],
									"text" : "print counter-right"
								}
							}, {
								"box" : {
									"id" : "obj-17",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 315.0, 240.0, 156.0, 22.0 ],
									"text" : "print counter-status"
								}
							}, {
								"box" : {
									"id" : "obj-18",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 280.0, 720.0, 49.0 ],
									"text" : "The reserved words import eval exec load call reload detach latest queue stop watch open are the object's own at the left inlet, unless the class defines a method for the word (in_0_stop, in_0_open...): then that method gets it, and pyrus WORD ... always reaches the object's own command."
								}
							}, {
								"box" : {
									"id" : "obj-19",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 360.0, 720.0, 49.0 ],
									"text" : "on_reload(self) runs after a reload as a call of the object; on_close(self) when the object is deleted. A reload whose new code fails keeps the old code running and reports file and line. Hover over an inlet or outlet: its assist text comes from the class (inlet_help, outlet_help, or the first docstring line of its in_N_ methods)."
								}
							}, {
								"box" : {
									"id" : "obj-20",
									"linecount" : 2,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 440.0, 720.0, 35.0 ],
									"text" : "open, or a double-click, opens the script in $VISUAL, else $EDITOR, else the system's default application for .py files."
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
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-8", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-9", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-10", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-11", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 1 ],
									"source" : [ "obj-12", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 1 ],
									"source" : [ "obj-13", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-15", 0 ],
									"source" : [ "obj-2", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-16", 0 ],
									"source" : [ "obj-2", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-17", 0 ],
									"source" : [ "obj-2", 2 ]
								}
							} ]
					},
					"patching_rect" : [ 240.0, 20.0, 79.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p classes"
				}
			}, {
				"box" : {
					"id" : "obj-4",
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
									"linecount" : 4,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 10.0, 720.0, 63.0 ],
									"text" : "Attributes: @detach 1 runs the object's calls on a worker thread, one at a time, in order, so a slow script never holds up Max; @detach 2 runs them at once on a shared pool (results in completion order); @detach 0 (the default) runs them on the thread that delivered the message (main, or the scheduler with Overdrive). The same names are messages: detach 2."
								}
							}, {
								"box" : {
									"id" : "obj-2",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 190.0, 219.0, 22.0 ],
									"text" : "pyrus examples.slow @detach 1"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 120.0, 30.0, 22.0 ],
									"text" : "3"
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 57.0, 120.0, 37.0, 22.0 ],
									"text" : "2.5"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 106.0, 120.0, 44.0, 22.0 ],
									"text" : "stop"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 162.0, 120.0, 72.0, 22.0 ],
									"text" : "latest 1"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 246.0, 120.0, 72.0, 22.0 ],
									"text" : "latest 0"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 330.0, 120.0, 65.0, 22.0 ],
									"text" : "queue 4"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 407.0, 120.0, 86.0, 22.0 ],
									"text" : "queue 1024"
								}
							}, {
								"box" : {
									"id" : "obj-10",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 150.0, 72.0, 22.0 ],
									"text" : "detach 0"
								}
							}, {
								"box" : {
									"id" : "obj-11",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 99.0, 150.0, 72.0, 22.0 ],
									"text" : "detach 1"
								}
							}, {
								"box" : {
									"id" : "obj-12",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 183.0, 150.0, 72.0, 22.0 ],
									"text" : "detach 2"
								}
							}, {
								"box" : {
									"id" : "obj-13",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 240.0, 86.0, 22.0 ],
									"text" : "print slow"
								}
							}, {
								"box" : {
									"id" : "obj-14",
									"maxclass" : "newobj",
									"numinlets" : 2,
									"numoutlets" : 5,
									"outlettype" : [ "", "", "", "", "" ],
									"patching_rect" : [ 200.0, 240.0, 261.0, 22.0 ],
									"text" : "route busy dropped replaced stopped"
								}
							}, {
								"box" : {
									"id" : "obj-15",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 200.0, 275.0, 80.0, 22.0 ],
									"text" : "print busy"
								}
							}, {
								"box" : {
									"id" : "obj-16",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 290.0, 275.0, 80.0, 22.0 ],
									"text" : "print dropped"
								}
							}, {
								"box" : {
									"id" : "obj-17",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 380.0, 275.0, 80.0, 22.0 ],
									"text" : "print replaced"
								}
							}, {
								"box" : {
									"id" : "obj-18",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 470.0, 275.0, 80.0, 22.0 ],
									"text" : "print stopped"
								}
							}, {
								"box" : {
									"id" : "obj-19",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 560.0, 275.0, 80.0, 22.0 ],
									"text" : "print status"
								}
							}, {
								"box" : {
									"id" : "obj-20",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 315.0, 720.0, 49.0 ],
									"text" : "Status: busy 1 when calls start to be outstanding, busy 0 when all are done; dropped N for calls refused past @queue N (default 1024); replaced N for calls @latest 1 replaced (a new call replaces the one not yet started); stopped after stop, which drops the pending calls and interrupts the running one (or abandons one blocked in C)."
								}
							}, {
								"box" : {
									"id" : "obj-21",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 440.0, 380.0, 22.0 ],
									"text" : "pyrus examples @detach 2 @queue 8 @latest 0 @watch 0"
								}
							}, {
								"box" : {
									"id" : "obj-22",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 405.0, 100.0, 22.0 ],
									"text" : "call forever"
								}
							}, {
								"box" : {
									"id" : "obj-23",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 127.0, 405.0, 44.0, 22.0 ],
									"text" : "stop"
								}
							}, {
								"box" : {
									"id" : "obj-24",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 475.0, 107.0, 22.0 ],
									"text" : "print forever"
								}
							}, {
								"box" : {
									"id" : "obj-25",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 165.0, 475.0, 156.0, 22.0 ],
									"text" : "print forever-status"
								}
							}, {
								"box" : {
									"id" : "obj-26",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 510.0, 720.0, 49.0 ],
									"text" : "Detached results, and everything scripts send from other threads, leave the outlets on Max's scheduler thread (the main thread without Overdrive) within one scheduler interval, in order. Switching detach does not wait for calls already out."
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
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-8", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-9", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-10", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-11", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-2", 0 ],
									"source" : [ "obj-12", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-13", 0 ],
									"source" : [ "obj-2", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-14", 0 ],
									"source" : [ "obj-2", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-15", 0 ],
									"source" : [ "obj-14", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-16", 0 ],
									"source" : [ "obj-14", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-17", 0 ],
									"source" : [ "obj-14", 2 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-18", 0 ],
									"source" : [ "obj-14", 3 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-19", 0 ],
									"source" : [ "obj-14", 4 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-21", 0 ],
									"source" : [ "obj-22", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-21", 0 ],
									"source" : [ "obj-23", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-24", 0 ],
									"source" : [ "obj-21", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-25", 0 ],
									"source" : [ "obj-21", 1 ]
								}
							} ]
					},
					"patching_rect" : [ 350.0, 20.0, 72.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p detach"
				}
			}, {
				"box" : {
					"id" : "obj-5",
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
									"fontsize" : 14.0,
									"id" : "obj-1",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 15.0, 101.0, 23.0 ],
									"text" : "Max -> Python"
								}
							}, {
								"box" : {
									"id" : "obj-2",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 45.0, 230.0, 21.0 ],
									"text" : "int"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 45.0, 460.0, 21.0 ],
									"text" : "int"
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 69.0, 230.0, 21.0 ],
									"text" : "float"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 69.0, 460.0, 21.0 ],
									"text" : "float"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 93.0, 230.0, 21.0 ],
									"text" : "symbol"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 93.0, 460.0, 21.0 ],
									"text" : "str"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 117.0, 230.0, 21.0 ],
									"text" : "list"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 117.0, 460.0, 21.0 ],
									"text" : "positional arguments"
								}
							}, {
								"box" : {
									"id" : "obj-10",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 141.0, 230.0, 21.0 ],
									"text" : "bang"
								}
							}, {
								"box" : {
									"id" : "obj-11",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 141.0, 460.0, 21.0 ],
									"text" : "no arguments"
								}
							}, {
								"box" : {
									"id" : "obj-12",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 165.0, 230.0, 21.0 ],
									"text" : "other message foo 1 2"
								}
							}, {
								"box" : {
									"id" : "obj-13",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 165.0, 460.0, 21.0 ],
									"text" : "'foo', 1, 2"
								}
							}, {
								"box" : {
									"fontface" : 1,
									"fontsize" : 14.0,
									"id" : "obj-14",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 189.0, 101.0, 23.0 ],
									"text" : "Python -> Max"
								}
							}, {
								"box" : {
									"id" : "obj-15",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 219.0, 230.0, 21.0 ],
									"text" : "None"
								}
							}, {
								"box" : {
									"id" : "obj-16",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 219.0, 460.0, 21.0 ],
									"text" : "nothing is sent"
								}
							}, {
								"box" : {
									"id" : "obj-17",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 243.0, 230.0, 21.0 ],
									"text" : "int (within 64 bits)"
								}
							}, {
								"box" : {
									"id" : "obj-18",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 243.0, 460.0, 21.0 ],
									"text" : "int (beyond: OverflowError)"
								}
							}, {
								"box" : {
									"id" : "obj-19",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 267.0, 230.0, 21.0 ],
									"text" : "bool"
								}
							}, {
								"box" : {
									"id" : "obj-20",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 267.0, 460.0, 21.0 ],
									"text" : "int 0 or 1"
								}
							}, {
								"box" : {
									"id" : "obj-21",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 291.0, 230.0, 21.0 ],
									"text" : "float"
								}
							}, {
								"box" : {
									"id" : "obj-22",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 291.0, 460.0, 21.0 ],
									"text" : "float"
								}
							}, {
								"box" : {
									"id" : "obj-23",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 315.0, 230.0, 21.0 ],
									"text" : "str"
								}
							}, {
								"box" : {
									"id" : "obj-24",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 315.0, 460.0, 21.0 ],
									"text" : "symbol"
								}
							}, {
								"box" : {
									"id" : "obj-25",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 339.0, 230.0, 21.0 ],
									"text" : "flat list or tuple"
								}
							}, {
								"box" : {
									"id" : "obj-26",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 339.0, 460.0, 21.0 ],
									"text" : "list (a nested one is an error: flatten it)"
								}
							}, {
								"box" : {
									"id" : "obj-27",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 363.0, 230.0, 21.0 ],
									"text" : "bytes, bytearray"
								}
							}, {
								"box" : {
									"id" : "obj-28",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 363.0, 460.0, 21.0 ],
									"text" : "list of ints"
								}
							}, {
								"box" : {
									"id" : "obj-29",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 387.0, 230.0, 21.0 ],
									"text" : "numpy scalar or 1-D array"
								}
							}, {
								"box" : {
									"id" : "obj-30",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 387.0, 460.0, 21.0 ],
									"text" : "as tolist() gives: ints stay ints"
								}
							}, {
								"box" : {
									"id" : "obj-31",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 411.0, 230.0, 21.0 ],
									"text" : "pyrus.bang"
								}
							}, {
								"box" : {
									"id" : "obj-32",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 411.0, 460.0, 21.0 ],
									"text" : "bang"
								}
							}, {
								"box" : {
									"id" : "obj-33",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 435.0, 230.0, 21.0 ],
									"text" : "pyrus.Message(sel, *args)"
								}
							}, {
								"box" : {
									"id" : "obj-34",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 435.0, 460.0, 21.0 ],
									"text" : "the message sel args..."
								}
							}, {
								"box" : {
									"id" : "obj-35",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 459.0, 230.0, 21.0 ],
									"text" : "anything else"
								}
							}, {
								"box" : {
									"id" : "obj-36",
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 260.0, 459.0, 460.0, 21.0 ],
									"text" : "its str() as a symbol"
								}
							}, {
								"box" : {
									"id" : "obj-37",
									"linecount" : 5,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 493.0, 720.0, 77.0 ],
									"text" : "pyrus.out(*values), self.out(k, *values), pyrus.send(name, *values): no value is a bang; one value as a return value; several whose first is a str the message with that selector (out('reset', 3) is reset 3, which [route reset] matches); others a list. import pyrus works only inside [pyrus]; pyrus.post() and pyrus.error() write to the Max Console, pyrus.time() is Max's logical time in ms. Scripts are found in the patcher's folder, then this package's scripts/ folder, then Python's usual paths."
								}
							} ],
						"lines" : [  ]
					},
					"patching_rect" : [ 460.0, 20.0, 100.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p conversion"
				}
			}, {
				"box" : {
					"id" : "obj-6",
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
									"linecount" : 4,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 10.0, 720.0, 63.0 ],
									"text" : "pyrus.array(NAME) is the buffer~ NAME as numpy: frames x channels of float32 (a[:, 0] is the first channel). Each operation claims the samples (buffer_locksamples) and releases them when it ends; the pyrus.Array is valid for the call that made it, so call pyrus.array(NAME) again in each call. Click a message: examples.draw writes a sum of sines into every channel in place, then redraw() marks the buffer~ dirty."
								}
							}, {
								"box" : {
									"id" : "obj-2",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 85.0, 200.0, 22.0 ],
									"text" : "buffer~ pyrus-help-wave 512 2"
								}
							}, {
								"box" : {
									"id" : "obj-3",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 120.0, 40.0, 22.0 ],
									"text" : "bang"
								}
							}, {
								"box" : {
									"id" : "obj-4",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 65.0, 120.0, 30.0, 22.0 ],
									"text" : "1"
								}
							}, {
								"box" : {
									"id" : "obj-5",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 105.0, 120.0, 30.0, 22.0 ],
									"text" : "12"
								}
							}, {
								"box" : {
									"id" : "obj-6",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 155.0, 260.0, 22.0 ],
									"text" : "pyrus examples.draw pyrus-help-wave"
								}
							}, {
								"box" : {
									"id" : "obj-7",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 190.0, 80.0, 22.0 ],
									"text" : "print draw"
								}
							}, {
								"box" : {
									"id" : "obj-8",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 160.0, 190.0, 120.0, 22.0 ],
									"text" : "print draw-status"
								}
							}, {
								"box" : {
									"id" : "obj-9",
									"linecount" : 3,
									"maxclass" : "comment",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 230.0, 720.0, 49.0 ],
									"text" : "A detached call (@detach 1 or 2) gets no view of the buffer~: there an array has only read(), write(values, start=0), len(), resize(n) and redraw(), each carried out by Max's scheduler thread within a tick."
								}
							}, {
								"box" : {
									"id" : "obj-10",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 15.0, 285.0, 40.0, 22.0 ],
									"text" : "bang"
								}
							}, {
								"box" : {
									"id" : "obj-11",
									"maxclass" : "message",
									"numinlets" : 2,
									"numoutlets" : 1,
									"outlettype" : [ "" ],
									"patching_rect" : [ 65.0, 285.0, 30.0, 22.0 ],
									"text" : "8"
								}
							}, {
								"box" : {
									"id" : "obj-12",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 2,
									"outlettype" : [ "", "" ],
									"patching_rect" : [ 15.0, 320.0, 340.0, 22.0 ],
									"text" : "pyrus examples.draw_far pyrus-help-wave @detach 1"
								}
							}, {
								"box" : {
									"id" : "obj-13",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 15.0, 355.0, 80.0, 22.0 ],
									"text" : "print far"
								}
							}, {
								"box" : {
									"id" : "obj-14",
									"maxclass" : "newobj",
									"numinlets" : 1,
									"numoutlets" : 0,
									"patching_rect" : [ 160.0, 355.0, 120.0, 22.0 ],
									"text" : "print far-status"
								}
							} ],
						"lines" : [ {
								"patchline" : {
									"destination" : [ "obj-6", 0 ],
									"source" : [ "obj-3", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-6", 0 ],
									"source" : [ "obj-4", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-6", 0 ],
									"source" : [ "obj-5", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-7", 0 ],
									"source" : [ "obj-6", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-8", 0 ],
									"source" : [ "obj-6", 1 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-12", 0 ],
									"source" : [ "obj-10", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-12", 0 ],
									"source" : [ "obj-11", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-13", 0 ],
									"source" : [ "obj-12", 0 ]
								}
							}, {
								"patchline" : {
									"destination" : [ "obj-14", 0 ],
									"source" : [ "obj-12", 1 ]
								}
							} ]
					},
					"patching_rect" : [ 580.0, 20.0, 72.0, 22.0 ],
					"saved_object_attributes" : {
						"description" : "",
						"digest" : "",
						"globalpatchername" : "",
						"tags" : ""
					},
					"text" : "p arrays"
				}
			} ],
		"lines" : [  ]
	}
}
