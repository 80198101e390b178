# A Pd GUI plugin for tests/pd_gui.rs (loaded from a folder on Pd's path):
# once a patch window is drawn, it writes every item of the window's Tk
# canvas (type, tags, coordinates, bounding box, dash, text) to
# $PYRUS_SHOT_OUT/LABEL.items and takes a screenshot of the window
# (LABEL.png, with imagemagick's import); then it opens the subpatches named
# in $PYRUS_SHOT_SUBPATCHES one after another and does the same, and quits Pd.
#
# "Drawn" is an event, not a delay: Pd draws a window's boxes when the GUI
# says the window is mapped ("map 1"); right after that the plugin sends
# "vis 1" to the same canvas, which Pd answers with pdtk_canvas_raise once it
# has sent everything before it, so the boxes are all on the canvas by then.

namespace eval ::pyrus_shot {
    variable out $::env(PYRUS_SHOT_OUT)
    variable patch $::env(PYRUS_SHOT_PATCH)
    variable subs [split $::env(PYRUS_SHOT_SUBPATCHES) "\n"]
    # The label of the window being waited for, and which subpatch is next.
    variable waiting ""
    variable label ""
    variable next 0
    variable done
    array set done {}
}

proc ::pyrus_shot::mapped {w} {
    variable waiting
    variable label
    variable patch
    variable subs
    variable next
    variable done
    if {[info exists done($w)] || ![info exists ::windowname($w)]} return
    set name $::windowname($w)
    if {$name eq $patch} {
        set label [file rootname $patch]
    } elseif {$next > 0 && $name eq [lindex $subs [expr {$next - 1}]]} {
        set label "[file rootname $patch]-[string map {" " _} $name]"
    } else {
        return
    }
    set done($w) 1
    set waiting $w
    pdsend "$w vis 1"
}

proc ::pyrus_shot::shoot {w} {
    variable out
    variable label
    update idletasks
    update
    set c [tkcanvas_name $w]
    set f [open [file join $out "$label.items"] w]
    puts $f [list window [winfo width $c] [winfo height $c]]
    foreach id [$c find all] {
        set type [$c type $id]
        set dash ""
        set text ""
        if {$type eq "line"} { set dash [$c itemcget $id -dash] }
        if {$type eq "text"} { set text [string map {"\n" " "} [$c itemcget $id -text]] }
        puts $f [list item $id $type [$c gettags $id] [$c coords $id] [$c bbox $id] $dash $text]
    }
    close $f
    exec import -window [winfo id $w] [file join $out "$label.png"]
}

proc ::pyrus_shot::advance {} {
    variable subs
    variable next
    variable out
    if {$next < [llength $subs] && [lindex $subs $next] ne ""} {
        set name [lindex $subs $next]
        incr next
        pdsend "pd-$name vis 1"
    } else {
        close [open [file join $out "done"] w]
        pdsend "pd quit"
    }
}

# A window can be mapped before Pd has named it (the title comes in a message
# of its own): then its name is the cue.
rename pdtk_canvas_reflecttitle ::pyrus_shot::pdtk_canvas_reflecttitle
proc pdtk_canvas_reflecttitle {mytoplevel path name arguments dirty} {
    ::pyrus_shot::pdtk_canvas_reflecttitle $mytoplevel $path $name $arguments $dirty
    if {[winfo exists $mytoplevel] && [winfo ismapped $mytoplevel]} {
        ::pyrus_shot::mapped $mytoplevel
    }
}

rename pdtk_canvas_raise ::pyrus_shot::pdtk_canvas_raise
proc pdtk_canvas_raise {mytoplevel} {
    ::pyrus_shot::pdtk_canvas_raise $mytoplevel
    if {$mytoplevel eq $::pyrus_shot::waiting} {
        set ::pyrus_shot::waiting ""
        if {[catch {::pyrus_shot::shoot $mytoplevel} why]} {
            puts stderr "pyrus_shot: $why"
            pdsend "pd quit"
            return
        }
        pdsend "$mytoplevel vis 0"
        ::pyrus_shot::advance
    }
}

bind PatchWindow <Map> "+::pyrus_shot::mapped %W"
# Pd's own window would cover the patches (there is no window manager).
catch {wm withdraw .pdwindow}

# Pd may open the patch before the GUI has loaded its plugins (the order of
# the two at startup is not fixed): a window already drawn and mapped is
# taken up here, since its <Map> has passed.
foreach w [winfo children .] {
    if {[winfo class $w] eq "PatchWindow" && [winfo ismapped $w]} {
        ::pyrus_shot::mapped $w
    }
}
