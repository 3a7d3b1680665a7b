module kdebug.lab/smallbins

go 1.25.0
