timeout: failed to run command ‘dispatcher’: No such file or directory
